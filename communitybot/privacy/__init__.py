"""A member's own data: `/mydata` and `/forgetme`."""
