"""Helpers for migrations that turn plaintext columns into encrypted ones.

The pattern, per field X: add X_enc, encrypt every row's X into X_enc (with associated data
naming the final column X), remove X, rename X_enc to X. Existing rows get their person's
data key from the key store, which is migrated first if it has not been.
"""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations

from rekisteri.encryption.fields import EncryptedTextField


def encrypted_field_swap(
    model_name: str, fields: dict[str, dict], person_attr: str, *, app_label: str
) -> list:
    """Migration operations that replace plaintext `fields` of `model_name` with encrypted ones."""
    operations: list = []
    for name, options in fields.items():
        operations.append(
            migrations.AddField(
                model_name=model_name,
                name=f"{name}_enc",
                field=EncryptedTextField(person_attr=person_attr, **options),
            )
        )
    operations.append(
        migrations.RunPython(
            _encrypt_rows(app_label, model_name, list(fields), person_attr, encrypt=True),
            _encrypt_rows(app_label, model_name, list(fields), person_attr, encrypt=False),
        )
    )
    for name in fields:
        operations.append(migrations.RemoveField(model_name=model_name, name=name))
        operations.append(
            migrations.RenameField(model_name=model_name, old_name=f"{name}_enc", new_name=name)
        )
    return operations


def _encrypt_rows(app_label: str, model_name: str, names: list[str], person_attr: str, *, encrypt: bool):
    def run(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        db = schema_editor.connection.alias
        if not model.objects.using(db).exists():
            return  # a new register: nothing to convert, no keys needed
        from rekisteri.keystore import services as keys

        # The key store's own tables must exist before any key can be made.
        call_command("migrate", "keystore", database="keystore", verbosity=0)
        keys.reset_state()
        table = model._meta.db_table
        person_field = "pk" if person_attr == "pk" else person_attr
        batch = 1000
        rows = model.objects.using(db).order_by("pk")
        last = None
        while True:
            page = rows.filter(pk__gt=last) if last is not None else rows
            page = list(page[:batch])
            if not page:
                break
            person_ids = {str(getattr(row, person_field)) for row in page}
            ciphers = keys.ciphers_for(person_ids)
            if encrypt:
                missing = person_ids - set(ciphers)
                ciphers.update(keys.create_keys(missing))
            for row in page:
                cipher = ciphers[str(getattr(row, person_field))]
                values = {}
                for name in names:
                    if encrypt:
                        # The plain column is a CharField here; AAD names the final column.
                        plain = row.__dict__.get(name)
                        blob = (
                            None
                            if plain in (None, "")
                            else cipher.encrypt(plain, table=table, column=name, row_id=row.pk)
                        )
                        values[f"{name}_enc"] = blob
                    else:
                        blob = row.__dict__.get(f"{name}_enc")
                        values[name] = cipher.decrypt(blob, table=table, column=name, row_id=row.pk) or ""
                model.objects.using(db).filter(pk=row.pk).update(**values)
            last = page[-1].pk

    return run


def reindex_all_persons(apps, schema_editor):
    """Build blind-index entries for every existing person from their decrypted values."""
    from rekisteri.encryption.fields import Ciphertext
    from rekisteri.encryption.services import pack_terms, search_terms_for
    from rekisteri.keystore import services as keys

    Person = apps.get_model("people", "Person")
    SearchTerm = apps.get_model("encryption", "SearchTerm")
    try:  # each person's list of entries, from the migration that made it on
        PersonSearchTerms = apps.get_model("encryption", "PersonSearchTerms")
    except LookupError:
        PersonSearchTerms = None
    db = schema_editor.connection.alias
    if not Person.objects.using(db).exists():
        return
    call_command("migrate", "keystore", database="keystore", verbosity=0)
    keys.reset_state()
    table = Person._meta.db_table
    names = ("first_name", "last_name", "email", "phone")
    persons = Person.objects.using(db).only("pk", *names).order_by("pk")
    last = None
    while True:
        page = list((persons.filter(pk__gt=last) if last is not None else persons)[:1000])
        if not page:
            break
        ciphers = keys.ciphers_for(person.pk for person in page)
        entries, records = [], []
        for person in page:
            cipher = ciphers.get(str(person.pk))
            if cipher is None:
                continue  # erased: nothing readable, nothing to index
            plain = {}
            for name in names:
                blob = person.__dict__.get(name)
                plain[name] = (
                    cipher.decrypt(blob, table=table, column=name, row_id=person.pk)
                    if isinstance(blob, Ciphertext)
                    else ""
                ) or ""
            terms = search_terms_for(**plain)
            entries.extend(SearchTerm(person_id=person.pk, kind=kind, term=term) for kind, term in terms)
            if PersonSearchTerms is not None:
                records.append(PersonSearchTerms(person_id=person.pk, terms=pack_terms(terms)))
        SearchTerm.objects.using(db).bulk_create(entries, batch_size=5000)
        if PersonSearchTerms is not None:
            PersonSearchTerms.objects.using(db).filter(person_id__in=[p.pk for p in page]).delete()
            PersonSearchTerms.objects.using(db).bulk_create(records, batch_size=5000)
        last = page[-1].pk


def address_hash_terms_fill(apps, schema_editor):
    """Give every existing person with an address its address-hash entry (SearchTerm kind
    5), from the decrypted address, and add it to their list of entries. Persons that have
    it already (indexed since by the current code) are left as they are."""
    from rekisteri.encryption.fields import Ciphertext
    from rekisteri.encryption.services import address_hash_term, pack_terms, unpack_terms
    from rekisteri.keystore import services as keys

    Person = apps.get_model("people", "Person")
    SearchTerm = apps.get_model("encryption", "SearchTerm")
    PersonSearchTerms = apps.get_model("encryption", "PersonSearchTerms")
    db = schema_editor.connection.alias
    if not Person.objects.using(db).exists():
        return
    call_command("migrate", "keystore", database="keystore", verbosity=0)
    keys.reset_state()
    table, column = Person._meta.db_table, Person._meta.get_field("email").column
    kind = 5  # SearchTerm.Kind.ADDRESS_HASH
    persons = Person.objects.using(db).filter(email__isnull=False).only("pk", "email").order_by("pk")
    last = None
    while True:
        page = list((persons.filter(pk__gt=last) if last is not None else persons)[:1000])
        if not page:
            break
        last = page[-1].pk
        ciphers = keys.ciphers_for(person.pk for person in page)
        records = dict(
            PersonSearchTerms.objects.using(db)
            .filter(person_id__in=[person.pk for person in page])
            .values_list("person_id", "terms")
        )
        entries, lists = [], []
        for person in page:
            cipher, blob = ciphers.get(str(person.pk)), person.__dict__.get("email")
            if cipher is None or not isinstance(blob, Ciphertext):
                continue  # erased: nothing readable, nothing to index
            email = cipher.decrypt(blob, table=table, column=column, row_id=person.pk)
            if not email:
                continue
            term = address_hash_term(email)
            terms = unpack_terms(records.get(person.pk))
            if (kind, term) in terms:
                continue
            terms = [entry for entry in terms if entry[0] != kind] + [(kind, term)]
            entries.append(SearchTerm(person_id=person.pk, kind=kind, term=term))
            lists.append(PersonSearchTerms(person_id=person.pk, terms=pack_terms(terms)))
        SearchTerm.objects.using(db).bulk_create(entries, batch_size=5000, ignore_conflicts=True)
        PersonSearchTerms.objects.using(db).filter(person_id__in=[row.person_id for row in lists]).delete()
        PersonSearchTerms.objects.using(db).bulk_create(lists, batch_size=5000)


def address_hash_terms_remove(apps, schema_editor):
    """The reverse of address_hash_terms_fill: the entries and their places in the lists go."""
    from rekisteri.encryption.services import pack_terms, unpack_terms

    SearchTerm = apps.get_model("encryption", "SearchTerm")
    PersonSearchTerms = apps.get_model("encryption", "PersonSearchTerms")
    db = schema_editor.connection.alias
    SearchTerm.objects.using(db).filter(kind=5).delete()
    for record in PersonSearchTerms.objects.using(db).iterator(chunk_size=2000):
        terms = unpack_terms(record.terms)
        kept = [entry for entry in terms if entry[0] != 5]
        if len(kept) != len(terms):
            PersonSearchTerms.objects.using(db).filter(pk=record.pk).update(terms=pack_terms(kept))


def sqlite_table_without_rowid(table: str):
    """A migration step that recreates the (still empty) `table` as WITHOUT ROWID on SQLite,
    keeping Django's own DDL and indexes: its primary key is then the only B-tree a row is
    written to. Nothing on other databases."""

    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table]
            )
            statements = cursor.fetchall()
            table_sql = next(sql for kind, sql in statements if kind == "table")
            index_sqls = [sql for kind, sql in statements if kind == "index"]
            cursor.execute(f'DROP TABLE "{table}"')
            cursor.execute(f"{table_sql} WITHOUT ROWID")
            for sql in index_sqls:
                cursor.execute(sql)

    return run
