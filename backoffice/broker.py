"""The broker of a machine without Redis (the demo, a laptop): kombu's filesystem transport, each message written
whole before a worker can take it.

kombu writes a message's file in place, under its final name: a worker polling the folder meanwhile may take the file
while it is still empty, and stops on the JSON error (celery/kombu#1551), which ends `make demo`'s whole process group.
Here the message is written under a name no worker takes and then renamed, which the filesystem does at once.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "filesystem-atomic"
PARTIAL = ".part"  # a worker takes only names ending in "<queue>.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue` (kombu's file name and contents), visible only once complete."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        try:
            with open(final + PARTIAL, "wb") as partial:
                partial.write(str_to_bytes(dumps(payload)))
            os.replace(final + PARTIAL, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


# CELERY_BROKER_URL "filesystem-atomic://" names this transport in every process that imports the Celery app.
TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
