"""Speaking the member's language: one translation function over gettext catalogues (Babel).

See `translate` (the functions and why the language is a context variable), `languages` (what
is spoken and how codes are read), `choice` (who gets which language) and `dates` (dates,
times and numbers in the reader's locale).
"""

from communitybot.i18n.languages import (
    DEFAULT_LANGUAGE,
    SUPPORTED,
    UnknownLanguage,
    parse_language,
    supported_list,
)
from communitybot.i18n.translate import (
    N_,
    current_language,
    in_language,
    nptr,
    ntr,
    ptr,
    tr,
    use_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "N_",
    "SUPPORTED",
    "UnknownLanguage",
    "current_language",
    "in_language",
    "nptr",
    "ntr",
    "parse_language",
    "ptr",
    "supported_list",
    "tr",
    "use_language",
]
