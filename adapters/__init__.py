"""Platform adapters: each translates its platform to core events and delivers core actions.

Adapters are thin (no business rules) and are wired together only by `communitybot.bootstrap`,
which hands each the core's `Bot`, its own `AdapterState` and the core's `CoreQueries`
(`communitybot.ports`). An adapter never imports `communitybot.store`
(tests/test_adapter_boundaries.py).
"""
