import hashlib
import re

from tokens.keys import display_prefix, generate_key, hash_key, looks_like_key


def test_keys_are_prefixed_url_safe_and_carry_256_bits():
    key = generate_key()

    assert key.startswith("sk-tg-")
    assert re.fullmatch(r"sk-tg-[A-Za-z0-9_-]{43}", key)  # 43 base64 characters = 32 bytes
    assert generate_key() != key


def test_the_hash_is_the_sha256_of_the_whole_key():
    key = generate_key()

    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()


def test_the_display_prefix_is_short_and_recognizable():
    key = generate_key()

    assert display_prefix(key) == key[:14]
    assert display_prefix(key).startswith("sk-tg-")


def test_only_key_shaped_strings_look_like_keys():
    assert looks_like_key(generate_key())
    for bad in [
        "",
        "sk-tg-",
        "sk-tg-short",
        "sk-xx-" + "a" * 43,
        "sk-tg-" + "a" * 42 + "!",
        "sk-tg-" + "a" * 500,
        None,
    ]:
        assert not looks_like_key(bad)
