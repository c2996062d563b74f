"""hashengine: exact Hamming search, retrieval metrics and deep hashing encoders.

Codes are uint8 arrays (n, ceil(bits/8)) in numpy.packbits / FAISS layout; labels are (n)
class ids or (n, classes) multi-hot arrays. Errors raise ValueError (bad shapes or dtypes),
IndexError or RuntimeError (unreadable or corrupt files) with the engine's message.

    index = hashengine.BinaryIndex(64, kind="mih")
    index.add(db_codes)
    dist, ids = index.search(query_codes, k=10)
"""

from ._hashengine import BinaryIndex, Model, evaluate, pack, read_index, unpack

__all__ = ["BinaryIndex", "Model", "evaluate", "pack", "read_index", "unpack"]
