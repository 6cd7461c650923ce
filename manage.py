#!/usr/bin/env python
from rekisteri.cli import main

if __name__ == "__main__":
    main()
