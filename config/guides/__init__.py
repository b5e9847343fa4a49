"""The user guides: Markdown files in docs/, rendered by the site with this deployment's values."""
