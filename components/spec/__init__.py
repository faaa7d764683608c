"""The stack's declarations: settings and YAML files, loaded and checked before any resource."""
