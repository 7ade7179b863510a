"""The HTTP application: the app factory, its middleware, problem+json errors and the routers."""
