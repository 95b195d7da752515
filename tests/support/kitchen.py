"""What a kitchen tablet reads off the board."""

import re


def since_token(html):
    return re.search(r"/kitchen/board\?since=([0-9-]+)", html).group(1)
