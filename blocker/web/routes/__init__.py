"""One small module per group of routes; :func:`blocker.web.app.create_app` mounts them."""
