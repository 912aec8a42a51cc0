"""Platform adapters: each translates its platform to core events and delivers core actions.

Adapters are thin (no business rules) and are wired together only by `communitybot.app`.
"""
