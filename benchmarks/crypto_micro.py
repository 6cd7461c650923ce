"""Micro-benchmark of the crypto core: microseconds per call on one core (not a test).

Run: .venv/bin/python benchmarks/crypto_micro.py
"""

from __future__ import annotations

import timeit
import uuid

from rekisteri.lib.blind_index import BlindIndexer, fold, generate_index_key
from rekisteri.lib.crypto import (
    DataKeyCache,
    FieldCipher,
    MasterKeyRing,
    generate_data_key,
    generate_master_key,
    unwrap_data_key,
    wrap_data_key,
)


def measure(label: str, func, number: int = 20_000) -> float:
    best = min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6
    print(f"{label:<58} {best:8.2f} µs")
    return best


def main() -> None:
    person_id = uuid.uuid4()
    ring = MasterKeyRing(generate_master_key())
    data_key = generate_data_key()
    cipher = FieldCipher(data_key)
    at = {"table": "people_person", "column": "last_name", "row_id": person_id}
    blob = cipher.encrypt("Ääkkönen", **at)
    wrapped = wrap_data_key(ring.current, data_key, person_id)
    indexer = BlindIndexer(generate_index_key())
    cache = DataKeyCache(ring)
    cache.cipher(person_id, wrapped)

    measure("encrypt short field (FieldCipher reused)", lambda: cipher.encrypt("Ääkkönen", **at))
    pid = str(person_id)
    measure(
        "encrypt short field, row id already a str",
        lambda: cipher.encrypt("Ääkkönen", table="people_person", column="last_name", row_id=pid),
    )
    measure("decrypt short field (FieldCipher reused)", lambda: cipher.decrypt(blob, **at))
    measure("FieldCipher(data_key)  (AESGCM set-up)", lambda: FieldCipher(data_key))
    measure("wrap data key", lambda: wrap_data_key(ring.current, data_key, person_id))
    measure("unwrap data key", lambda: unwrap_data_key(ring, wrapped, person_id))
    measure("DataKeyCache.cipher, hit", lambda: cache.cipher(person_id, wrapped))
    measure("HMAC-SHA256 blind index: index_email", lambda: indexer.index_email("anna.virtanen@testi.fi"))
    measure("HMAC-SHA256 blind index: index_phone", lambda: indexer.index_phone("+358401234567"))
    measure("fold('Ääkkönen')", lambda: fold("Ääkkönen"))
    measure("fold('Virtanen')  (ASCII fast path)", lambda: fold("Virtanen"))
    terms = len(indexer.index_name_terms("Anna-Liisa", "Ääkkönen"))
    measure(
        f"index_name_terms('Anna-Liisa', 'Ääkkönen')  ({terms} terms)",
        lambda: indexer.index_name_terms("Anna-Liisa", "Ääkkönen"),
        number=5_000,
    )
    measure("query_terms('anna ääkk')", lambda: indexer.query_terms("anna ääkk"))

    def create_person() -> None:
        pid = uuid.uuid4()
        new_cipher, _wrapped = cache.new_key(pid)
        for column, value in (
            ("first_name", "Anna-Liisa"),
            ("last_name", "Ääkkönen"),
            ("email", "anna-liisa.aakkonen@testi.fi"),
            ("phone", "+358401234567"),
            ("title", "Hankintapäällikkö"),
        ):
            new_cipher.encrypt(value, table="people_person", column=column, row_id=pid)
        indexer.index_email("anna-liisa.aakkonen@testi.fi")
        indexer.index_phone("+358401234567")
        indexer.index_name_terms("Anna-Liisa", "Ääkkönen")

    per_person = measure("one new person: key + wrap + 5 fields + all indexes", create_person, number=5_000)
    print(f"=> crypto alone allows about {1e6 / per_person:,.0f} persons/s on one core")


if __name__ == "__main__":
    main()
