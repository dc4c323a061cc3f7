"""multiprocessing "spawn" children inherit -X importtime and write their own
header and lines into the same stderr (A.3)."""
import multiprocessing


def work(n):
    import json

    return json.dumps(n)


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    with multiprocessing.Pool(2) as pool:
        print(pool.map(work, range(4)), flush=True)
    import csv  # noqa: F401  (after the children: the parent's output again)
