import sys

from radiograph import main

sys.exit(main())
