"""The moderators' web dashboard (issue #16): served by the bot process on its own event loop.

Parts, each one job: `links` signs and checks the single-use sign-in links the `dashboard`
command hands out; `installation` keeps the signing secret, the public URL and the used links in
the database; `sessions` holds the browser sessions; `access` re-checks a moderator's rights at
every request; `funnel` reads the onboarding funnel; `charts` lays out SVG bar charts;
`metrics` is the Prometheus text; `server` is the aiohttp application and its routes.
"""
