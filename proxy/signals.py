"""Any change to the catalog tables makes every process reload its catalog snapshot."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from proxy import catalog
from proxy.models import Model, Price, Provider, Route


def _changed(sender, **kwargs) -> None:
    # After commit: a process that reloads must see the new rows.
    transaction.on_commit(catalog.bump_version)


for _model in (Provider, Model, Route, Price):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"catalog-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"catalog-delete-{_model.__name__}")
m2m_changed.connect(_changed, sender=Model.granted_accounts.through, dispatch_uid="catalog-grants")
