"""Microsoft Teams: the Bot Framework endpoint, Adaptive Cards, proactive messages, the app
package. The botbuilder SDK is imported only by endpoint.py, proactive.py and notifier.py."""
