"""Problems of practice: `/ask`, `/follow`, `/resolve` and the nudge to report back."""
