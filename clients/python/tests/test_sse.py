"""The SSE parser on its own: line endings, chunk boundaries, comments, multi-line data, ids."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from eqprop_hil.sse import Event, SseParser  # noqa: E402


class SseParserTest(unittest.TestCase):
    def test_parses_id_event_and_json_data_and_skips_comments(self):
        p = SseParser(decode=json.loads)
        out = p.feed('retry: 2000\n\n: ping\n\nid: 7\nevent: epoch\ndata: {"seq": 7, "row": {"epoch": 1}}\n\n')
        self.assertEqual(out, [Event(7, "epoch", {"seq": 7, "row": {"epoch": 1}})])
        self.assertEqual(p.last_id, "7")
        self.assertEqual(p.retry_ms, 2000)

    def test_an_event_split_anywhere_across_chunks_comes_out_once_and_whole(self):
        text = "id: 1\r\nevent: state\r\ndata: {\"to\": \"running\"}\r\n\r\nid: 2\nevent: batch\ndata: {\"b\": 1}\n\n"
        for cut in range(1, len(text)):
            p = SseParser(decode=json.loads)
            out = p.feed(text[:cut]) + p.feed(text[cut:])
            self.assertEqual([(e.id, e.type, e.data) for e in out], [(1, "state", {"to": "running"}), (2, "batch", {"b": 1})], "cut at %d" % cut)

    def test_joins_data_lines_and_defaults_the_type_to_message(self):
        out = SseParser().feed("data: a\ndata:b\n\n")
        self.assertEqual(out, [Event(None, "message", "a\nb")])

    def test_an_incomplete_event_is_held_back(self):
        p = SseParser()
        self.assertEqual(p.feed("id: 3\nevent: epoch\ndata: x\n"), [])
        self.assertEqual(p.feed("\n"), [Event(3, "epoch", "x")])


if __name__ == "__main__":
    unittest.main()
