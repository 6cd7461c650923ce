"""The one layer where personal values are encrypted and decrypted.

An `EncryptedTextField` stores AES-256-GCM ciphertext under the data key of the person the
row belongs to, with associated data binding it to its table, column and row id. Model
instances expose plain strings: the attribute decrypts lazily on first read and encrypts on
save, so services, views and the API never see ciphertext.

Encrypted columns cannot be filtered or ordered on in SQL (that would compare ciphertexts);
a lookup with a plain value raises TypeError. Search uses the blind index (search.py).
"""

from __future__ import annotations

from django.db import models

from rekisteri.lib.crypto import FieldCipher

_CIPHER = "_rk_cipher"


class Ciphertext(bytes):
    """Bytes read from the database, not yet decrypted."""


class _EncryptedAttribute:
    """Holds either the plain value or, until first read, the Ciphertext loaded from the database.

    Both live under the field's own name in the instance __dict__, so Django sees the field
    as loaded (not deferred) and refresh_from_db, save and deferred loading behave as usual.
    """

    def __init__(self, field: EncryptedTextField):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        data = instance.__dict__
        name = self.field.attname
        if name not in data:
            if instance._state.adding or instance.pk is None:
                return self.field.get_default()
            # Deferred by .only()/.defer(): load it now rather than pretend it is empty.
            instance.refresh_from_db(fields=[name])
        value = data[name]
        if isinstance(value, Ciphertext):
            value = cipher_of(instance, self.field).decrypt(
                value, table=instance._meta.db_table, column=self.field.column, row_id=row_id_of(instance)
            )
            data[name] = value
        return value

    def __set__(self, instance, value):
        if isinstance(value, memoryview | bytes) and not isinstance(value, Ciphertext):
            value = Ciphertext(value)
        elif value is None and self.field.empty_as_null:
            value = ""  # NULL in the database is the empty string in Python
        instance.__dict__[self.field.attname] = value


def row_id_of(instance):
    """The row id bound into the associated data, in its canonical form.

    A UUID primary key assigned as a string ("5CBD...", or hex without dashes) must bind the
    same bytes as the UUID read back from the database, or the value could never be read again.
    """
    return instance._meta.pk.to_python(instance.pk)


def person_id_of(instance, field: EncryptedTextField):
    return getattr(instance, field.person_attr)


def cipher_of(instance, field: EncryptedTextField, *, create: bool = False) -> FieldCipher:
    """The cipher for the row's person, remembered on the instance for its other fields."""
    from rekisteri.keystore.services import cipher_for

    person_id = person_id_of(instance, field)
    cached = instance.__dict__.get(_CIPHER)
    if cached is not None and cached[0] == str(person_id):
        return cached[1]
    cipher = cipher_for(person_id, create=create)
    instance.__dict__[_CIPHER] = (str(person_id), cipher)
    return cipher


def attach_ciphers(instances, ciphers: dict[str, FieldCipher], person_attr: str) -> None:
    """Give many instances their ciphers at once (one key-store query for a whole page)."""
    for instance in instances:
        person_id = str(getattr(instance, person_attr))
        if person_id in ciphers:
            instance.__dict__[_CIPHER] = (person_id, ciphers[person_id])


class EncryptedTextField(models.BinaryField):
    """A text value encrypted under the row's person's data key.

    `person_attr` names the attribute holding the person's id: "pk" on Person itself,
    "person_id" on rows that belong to a person. An empty string is stored as NULL (no
    ciphertext at all) when `empty_as_null`.
    """

    def __init__(
        self,
        *args,
        person_attr: str = "person_id",
        max_length: int | None = None,
        empty_as_null: bool = True,
        **kwargs,
    ):
        self.person_attr = person_attr
        self.text_max_length = max_length
        self.empty_as_null = empty_as_null
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["person_attr"] = self.person_attr
        if self.text_max_length is not None:
            kwargs["max_length"] = self.text_max_length
        if not self.empty_as_null:
            kwargs["empty_as_null"] = False
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _EncryptedAttribute(self))

    def get_default(self):
        return "" if self.empty_as_null else None

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def to_python(self, value):
        return value

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Ciphertext):
            # Never read, so unchanged: keep the stored ciphertext byte for byte.
            return value
        if value is None or (value == "" and self.empty_as_null):
            return None
        # Never a new key here: the service that creates the owner creates its key, by name
        # (keystore.services.create_keys), and a write to an owner whose key is gone
        # (erased) must fail rather than silently mint a fresh one.
        # A value that is not text fails in encrypt_value before any key is looked up.
        cipher = cipher_of(model_instance, self) if isinstance(value, str) else None
        return self.encrypt_value(cipher, value, row_id=row_id_of(model_instance))

    def encrypt_value(self, cipher: FieldCipher | None, value, *, row_id) -> bytes | None:
        """The stored form of a plain value of this column in row `row_id` (canonical id).

        Model.save comes here through pre_save; bulk loading calls it directly with the
        person's cipher, so both store exactly the same form.
        """
        plaintext = self.plaintext_to_store(value)
        if plaintext is None:
            return None
        return cipher.encrypt(plaintext, table=self.model._meta.db_table, column=self.column, row_id=row_id)

    def plaintext_to_store(self, value) -> str | None:
        """What of a plain value gets encrypted: None when the column stores NULL for it.

        encrypt_value encrypts it; bulk loading collects these for crypto.encrypt_fields.
        """
        if value is None or (value == "" and self.empty_as_null):
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self.model._meta.label}.{self.attname} takes text, not {type(value).__name__}")
        return value

    def get_prep_value(self, value):
        if isinstance(value, str):
            raise TypeError(
                f"{self.model._meta.label}.{self.name} is encrypted and cannot be compared in SQL; "
                "use the blind index (rekisteri.encryption.search)"
            )
        return super().get_prep_value(value)

    def value_from_object(self, obj):
        return getattr(obj, self.attname)

    def formfield(self, **kwargs):
        from django import forms

        return forms.CharField(max_length=self.text_max_length, required=not self.blank, **kwargs)


def decrypt_now(instances) -> None:
    """Decrypt every encrypted field of these instances at once (errors surface here)."""
    for instance in instances:
        for field in instance._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                getattr(instance, field.attname)
