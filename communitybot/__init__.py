"""communitybot: the platform-neutral core of a professional-learning-network bot.

Nothing here runs at import time: settings, logging and the database are set up by the
process entry (`communitybot.app`), the objects wired by the composition root
(`communitybot.bootstrap`).
"""

__version__ = "0.1.0"
