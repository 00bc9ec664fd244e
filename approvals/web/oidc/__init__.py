"""Single sign-on through an OpenID Connect provider, on mozilla-django-oidc (README "Single sign-on").

discovery.py finds the provider's endpoints, backend.py checks the ID token and hands the
claims to services.identity, views.py starts and ends the flow (and the provider's session
at sign-out), refresh.py ends a session the provider no longer renews.
"""
