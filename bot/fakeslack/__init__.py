"""A stand-in for Slack's Web API over real HTTP, and Slack's signed inbound requests: what the
demo, the tests and the benchmarks run against (the real `WebClient`, nothing monkeypatched).

Imports the standard library and slack_sdk only (the demo ships it). Nothing in the core
imports it.
"""
