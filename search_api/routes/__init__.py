"""The HTTP routes: ``api`` (JSON, the feed, originals) and ``pages`` (the Swedish web page),
each an ``APIRouter`` that ``search_api.app.create_app`` mounts."""
