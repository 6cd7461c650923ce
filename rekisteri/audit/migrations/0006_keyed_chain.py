"""Key the audit chain (HMAC under the audit key), seal the head, guard the head with triggers.

- AuditEvent.key_id names the audit key of each event; the existing events get "": they were
  chained with plain SHA-256 and keep verifying as such. The column is added with a database
  default in one ALTER TABLE (Django would copy the whole trail on SQLite for a NOT NULL column).
- AuditHead.seal: an HMAC of the head that no event holds (see rekisteri.audit.chain).
- Triggers on audit_audithead: never deleted or truncated, and every update moves it forward.
- If the trail already holds events, one keyed event is appended now (action "audit_keyed"):
  its HMAC covers the last SHA-256 hash, so every older event is sealed under the key from
  here on, and `audit verify` refuses unkeyed events anywhere after it or a trail that ends
  in them. This needs the audit key (REKISTERI_AUDIT_KEY, or the embedded key file).
"""

from django.db import migrations, models

HEAD = "audit_audithead"


def head_trigger_sql(vendor):
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
            "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be removed'); END;",
            f"CREATE TRIGGER {HEAD}_forward_only BEFORE UPDATE ON {HEAD} WHEN NEW.seq <= OLD.seq "
            "BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;",
        ]
    # The row trigger's WHEN is checked without calling the function, so an append (which
    # moves the head forward) runs no PL/pgSQL; removals are refused per statement.
    return [
        "CREATE OR REPLACE FUNCTION rekisteri_audit_head_forward() RETURNS trigger AS $$ "
        "BEGIN "
        "IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'the audit chain head only moves forward'; END IF; "
        "RAISE EXCEPTION 'the audit chain head cannot be removed'; "
        "END; $$ LANGUAGE plpgsql;",
        f"CREATE TRIGGER {HEAD}_forward_only BEFORE UPDATE ON {HEAD} "
        "FOR EACH ROW WHEN (NEW.seq <= OLD.seq) EXECUTE FUNCTION rekisteri_audit_head_forward();",
        f"CREATE TRIGGER {HEAD}_no_removal BEFORE DELETE OR TRUNCATE ON {HEAD} "
        "FOR EACH STATEMENT EXECUTE FUNCTION rekisteri_audit_head_forward();",
    ]


def head_trigger_drop_sql(vendor):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {HEAD}_no_delete", f"DROP TRIGGER IF EXISTS {HEAD}_forward_only"]
    return [
        f"DROP TRIGGER IF EXISTS {HEAD}_forward_only ON {HEAD}",
        f"DROP TRIGGER IF EXISTS {HEAD}_no_removal ON {HEAD}",
        "DROP FUNCTION IF EXISTS rekisteri_audit_head_forward()",
    ]


def create_head_triggers(apps, schema_editor):
    for statement in head_trigger_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop_head_triggers(apps, schema_editor):
    for statement in head_trigger_drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def seal_legacy_events(apps, schema_editor):
    """Append the keyed event that seals a trail chained with plain SHA-256 (none if empty)."""
    from django.utils import timezone

    from rekisteri.audit.chain import canonical_json, event_bytes
    from rekisteri.audit.keys import audit_keys

    alias = schema_editor.connection.alias
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditHead")
    head = head_model.objects.using(alias).select_for_update().filter(pk=1).first()
    if head is None or head.seq == 0:
        return  # nothing was chained yet: every event will be keyed
    if event_model.objects.using(alias).filter(seq=head.seq).exclude(key_id="").exists():
        return  # already sealed
    key = audit_keys().current
    fields = {
        "seq": head.seq + 1,
        "at": timezone.now(),
        "actor_user_id": None,
        "actor_label": "migrate",
        "action": "audit_keyed",
        "object_type": "audit",
        "object_ids": "[]",
        "person_ids": "[]",
        "purpose": "",
        "origin": "system",
        "detail": canonical_json({"sha256_until": head.seq}),
    }
    digest = key.chain(head.hash, event_bytes(**fields))
    event_model.objects.using(alias).create(prev_hash=head.hash, hash=digest, key_id=key.key_id, **fields)
    head_model.objects.using(alias).filter(pk=1).update(
        seq=fields["seq"], prev_hash=head.hash, hash=digest, seal=key.seal(fields["seq"], digest)
    )


def refuse_unkeying(apps, schema_editor):
    event = apps.get_model("audit", "AuditEvent")
    if event.objects.using(schema_editor.connection.alias).exclude(key_id="").exists():
        raise RuntimeError(
            "The audit trail holds keyed events: going back before migration audit 0006 would "
            "make them unverifiable. Restore a backup taken before the upgrade instead."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_subject_id_plain_rowid"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE audit_auditevent ADD COLUMN key_id varchar(64) DEFAULT '' NOT NULL",
                    "ALTER TABLE audit_auditevent DROP COLUMN key_id",
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="auditevent",
                    name="key_id",
                    field=models.CharField(blank=True, db_default="", max_length=64),
                )
            ],
        ),
        migrations.AddField(
            model_name="audithead",
            name="seal",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(create_head_triggers, drop_head_triggers),
        migrations.RunPython(seal_legacy_events, refuse_unkeying),
    ]
