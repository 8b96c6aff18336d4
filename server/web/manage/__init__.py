"""The manager pages under /manage: the Cité, its poles, sites and opening hours, staff.

:mod:`.base` holds what every page shares (the signed-in manager, CSRF, forms,
field errors); :func:`.routes.manage_routes` lists every route. Imports the core,
the backends, the live chat (to publish a changed Cité), staff and the plumbing.
"""
