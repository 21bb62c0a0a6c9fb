"""A Server-Sent Events parser (the text/event-stream format), fed with text as it arrives."""


class Event:
    """One event: ``id`` (the run's gapless sequence number, an int when numeric), ``type`` and ``data``
    (the decoded JSON object, or the raw text when it is not JSON)."""

    __slots__ = ("id", "type", "data")

    def __init__(self, id, type, data):
        self.id = id
        self.type = type
        self.data = data

    def __repr__(self):
        return "Event(id=%r, type=%r, data=%r)" % (self.id, self.type, self.data)

    def __eq__(self, other):
        return isinstance(other, Event) and (self.id, self.type, self.data) == (other.id, other.type, other.data)


class SseParser:
    """Turns chunks of an event stream into events: lines end with LF, CR or CRLF (possibly split across
    chunks), comment lines start with ':', several data lines join with LF, and an event is dispatched
    at a blank line. ``last_id`` keeps the last id seen, for a Last-Event-ID reconnect."""

    def __init__(self, decode=None):
        self._decode = decode
        self._buf = ""
        self._cr = False
        self._type = ""
        self._data = []
        self._id = None
        self.last_id = None
        self.retry_ms = None

    def feed(self, text):
        """Parses more text; returns the events it completed."""
        out = []
        if self._cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across two chunks
        self._cr = False
        self._buf += text
        while True:
            k = _line_end(self._buf)
            if k < 0:
                break
            line, end = self._buf[:k], self._buf[k]
            if end == "\r" and k + 1 == len(self._buf):
                self._cr = True
                self._buf = ""
            elif end == "\r" and self._buf[k + 1] == "\n":
                self._buf = self._buf[k + 2:]
            else:
                self._buf = self._buf[k + 1:]
            e = self._line(line)
            if e is not None:
                out.append(e)
        return out

    def _line(self, line):
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self):
        if self._id is not None:
            self.last_id = self._id
        if not self._data:
            self._type = ""
            return None
        text = "\n".join(self._data)
        data = self._decode(text) if self._decode else text
        ident = self.last_id
        if ident is not None and ident.isdigit():
            ident = int(ident)
        e = Event(ident, self._type or "message", data)
        self._type, self._data = "", []
        return e


def _line_end(s):
    """Index of the first CR or LF in s, or -1."""
    a, b = s.find("\r"), s.find("\n")
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)
