"""A stand-in for Slack's Web API over real HTTP, Slack's signed inbound requests, and Slack's
Socket Mode websocket: what the demo, the tests and the benchmarks run against (the real
`WebClient` and Socket Mode client, nothing monkeypatched).

Imports the standard library and slack_sdk only (the demo ships it). Nothing in the core
imports it.
"""
