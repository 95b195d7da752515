"""Two staff members acting at the same moment (a barrier releases both): what the tests of
concurrent menu changes race."""

import threading


def race(first, second) -> list[int]:
    """Run two staff actions at once; their status codes."""
    barrier = threading.Barrier(2)
    statuses = [None, None]

    def run(index, action):
        barrier.wait()
        statuses[index] = action().status_code

    threads = [
        threading.Thread(target=run, args=(i, action)) for i, action in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class Actions:
    """A signed-in staff member with a CSRF token fetched once, so both sides of a race
    send their POST at the same moment."""

    def __init__(self, staff):
        self.staff, self.token = staff, staff.token()

    def post(self, path, **data):
        return lambda: self.staff.post(path, {"csrf_token": self.token, **data}, csrf=False)
