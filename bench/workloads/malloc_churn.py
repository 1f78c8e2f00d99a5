"""The allocation hooks' worst case: nothing but blocks too large for
pymalloc (over 512 bytes, so every one is a malloc and a free), made and
dropped in a loop, a few thousand alive at a time."""
import sys

if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    live = [None] * 4096
    for i in range(int(3_000_000 * scale)):
        live[i & 4095] = bytearray(600 + (i & 1023))
