"""pyx12's validation of an 835 against the 005010X221A1 map, turned into findings (warnings).

Real payers' files deviate from the guide (the guide's own examples carry an invalid BPR16 date and
no PER*BL), so nothing pyx12 reports stops an import: Settle's own checks (`x12_835_envelope`,
`x12_835.read_835`) decide what is fatal. pyx12 reports each problem through its logger as it walks
the file, then writes its error report, which can raise (its 999 acknowledgement does on the guide's own
examples); the findings are taken from the log while it walks, so a failure of the report (or of pyx12
itself) keeps them and adds one warning saying pyx12 stopped.
"""
from __future__ import annotations

import io
import logging
import re
import threading

import pyx12.params
import pyx12.x12n_document

from portal.interop.x12_835_envelope import Finding

_LINE = re.compile(r'Line:(\d+)\s+(?:(SEG|ELE):(\S+)\s+-\s+)?(.*)', re.S)
_REFDES = re.compile(r'\(([A-Z][A-Z0-9]{1,2}\d{2})\)')
_lock = threading.Lock()  # the handler sits on pyx12's process-wide logger: one validation at a time


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _finding(record: logging.LogRecord, segment_ids: dict[int, str]) -> Finding:
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        return Finding(0, '', '', f'pyx12 could not finish its report ({message}: {record.exc_info[1]}); '
                                  f'its findings are kept', source='pyx12')
    matched = _LINE.search(message)
    if matched is None:
        return Finding(0, '', '', message, source='pyx12')
    line, kind, code, text = int(matched[1]), matched[2] or '', matched[3] or '', matched[4].strip()
    refdes = _REFDES.search(text)
    element = refdes[1] if refdes else (f'code {code}' if kind == 'ELE' else '')
    return Finding(line, segment_ids.get(line, ''), element, text, source='pyx12')


def pyx12_findings(text: str, segment_ids: dict[int, str]) -> list[Finding]:
    """Validate with pyx12; every problem it reports as a warning with line, segment, element and message.
    `segment_ids` maps segment numbers to ids (pyx12's "Line" is the segment's number in the file)."""
    logger = logging.getLogger('pyx12')
    collect = _Collect()
    with _lock:
        propagate, level = logger.propagate, logger.level
        logger.addHandler(collect)
        logger.propagate = False  # its ERROR records are findings here, not the application's errors
        logger.setLevel(logging.WARNING)
        stopped = None
        try:
            pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None,
                                                  fd_json=io.StringIO())
        except Exception as error:  # noqa: BLE001 - pyx12 failing must not lose what it found
            stopped = error
        finally:
            logger.removeHandler(collect)
            logger.propagate, logger.level = propagate, level
    findings = [_finding(record, segment_ids) for record in collect.records]
    if stopped is not None:
        findings.append(Finding(0, '', '', f'pyx12 stopped validating ({type(stopped).__name__}: {stopped}); '
                                           f'the findings before it are kept', source='pyx12'))
    return findings
