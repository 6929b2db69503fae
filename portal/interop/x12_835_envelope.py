"""The X12 envelope of an 835: delimiters from the ISA, segments with their numbers, and the checks that
refuse a file before anything is read from it.

Fatal (the file is refused and nothing is posted): an empty or over-size file, control characters,
text that is not an X12 interchange (it must start with a 106-character ISA, ASC X12 005010X221A1
appendix B.1.1.2), a functional group or transaction set other than HP / 835 (an 837 renamed .835),
another version than 005010X221 (ISA12 00501, GS08), a file that ends inside an envelope (truncated),
and control numbers or counts that disagree: ISA13 = IEA02 and IEA01 = the number of GS; GS06 = GE02 and
GE01 = the number of ST; ST02 = SE02 and SE01 = the number of segments from ST to SE inclusive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

SEGMENT_ID = re.compile(r'^[A-Z][A-Z0-9]{1,2}$')
ISA_LENGTH = 106
VERSION = '005010X221'
ALLOWED_CONTROL = frozenset('\r\n')


@dataclass(frozen=True)
class Finding:
    """Something found in the file: `line` is the segment's number in the file (1 = the ISA)."""
    line: int
    segment: str
    element: str
    message: str
    fatal: bool = False
    source: str = 'settle'  # or 'pyx12'

    def __str__(self) -> str:
        where = f'line {self.line}' + (f', {self.segment}' if self.segment else '') + \
            (f' {self.element}' if self.element else '')
        return f'{where}: {self.message}'


@dataclass(frozen=True)
class Segment:
    line: int
    elements: tuple[str, ...]  # elements[0] is the segment id
    component: str

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, position: int) -> str:
        return self.elements[position].strip() if position < len(self.elements) else ''

    def components(self, position: int) -> list[str]:
        return self.get(position).split(self.component) if self.component else [self.get(position)]


@dataclass
class Interchange:
    findings: list[Finding] = field(default_factory=list)
    transactions: list[list[Segment]] = field(default_factory=list)  # ST..SE inclusive
    segment_count: int = 0
    text: str = ''
    segment_ids: dict[int, str] = field(default_factory=dict)  # segment number -> id, for pyx12's findings


def _fatal(interchange: Interchange, line: int, segment: str, element: str, message: str) -> Interchange:
    interchange.findings.append(Finding(line, segment, element, message, fatal=True))
    return interchange


def split_interchange(data: bytes, *, max_bytes: int) -> Interchange:
    """Split the file into segments with the ISA's delimiters and check the envelope around them."""
    result = Interchange()
    if len(data) > max_bytes:
        return _fatal(result, 0, '', '', f'the file is larger than {max_bytes // 1_000_000} MB, the most an 835 '
                                         f'may be')
    text = data.decode('latin-1').lstrip('\ufeff\xef\xbb\xbf \t\r\n')
    if not text.strip():
        return _fatal(result, 1, '', '', 'the file is empty')
    if not text.startswith('ISA') or len(text) < ISA_LENGTH:
        return _fatal(result, 1, text[:3], '', 'this is not an X12 file: it must start with an ISA segment')
    element, repetition, component, terminator = text[3], text[82], text[104], text[105]
    isa = text[:ISA_LENGTH - 1].split(element)
    if len(isa) != 17 or element.isalnum() or terminator.isalnum():
        return _fatal(result, 1, 'ISA', '', 'this is not an X12 file: the ISA segment is not 106 characters '
                                            'with 16 elements')
    allowed = ALLOWED_CONTROL | {element, repetition, component, terminator}
    control = re.compile('[' + ''.join(re.escape(chr(code)) for code in (*range(32), 127) if chr(code) not in allowed)
                         + ']')
    result.text = text
    segments: list[Segment] = []
    for raw in text.split(terminator):
        raw = raw.strip('\r\n')
        if not raw:
            continue
        found = control.search(raw)
        if found is not None:
            bad = found.group()
            return _fatal(result, len(segments) + 1, raw[:3], '', f'the file holds a control character '
                                                                  f'(code {ord(bad)}), which X12 does not allow')
        parts = tuple(raw.split(element))
        if not SEGMENT_ID.match(parts[0]):
            return _fatal(result, len(segments) + 1, parts[0][:3], '',
                          f'{parts[0][:20]!r} is not an X12 segment (a damaged or cut file?)')
        segments.append(Segment(len(segments) + 1, parts, component))
    result.segment_count = len(segments)
    result.segment_ids = {segment.line: segment.id for segment in segments}
    _check_envelopes(result, segments)
    return result


def _check_envelopes(result: Interchange, segments: list[Segment]) -> None:
    isa = gs = st = None
    groups = sets = 0
    body: list[Segment] = []
    for segment in segments:
        sid = segment.id
        if sid == 'ISA':
            if isa is not None:
                return _fatal_none(result, segment, '', 'a second ISA before the IEA that closes the first')
            isa, groups = segment, 0
            if segment.get(12) != '00501':
                return _fatal_none(result, segment, 'ISA12', f'version {segment.get(12)}: Settle reads 835s of '
                                                             f'version 005010X221A1 (ISA12 00501) only')
        elif isa is None:
            return _fatal_none(result, segment, '', 'a segment before the ISA')
        elif sid == 'GS':
            gs, sets, groups = segment, 0, groups + 1
            if segment.get(1) != 'HP':
                return _fatal_none(result, segment, 'GS01', f'functional group {segment.get(1)!r} is not a claim '
                                                            f'payment/advice (HP): this is not an 835'
                                                            + (' (HC: an 837 claim file)' if segment.get(1) == 'HC'
                                                               else ''))
            if not segment.get(8).startswith(VERSION):
                return _fatal_none(result, segment, 'GS08', f'version {segment.get(8)}: Settle reads 835s of '
                                                            f'version 005010X221A1 only')
        elif sid == 'IEA' and gs is None and st is None:
            if segment.get(2) != isa.get(13):
                return _fatal_none(result, segment, 'IEA02', f'control number {segment.get(2)} does not match '
                                                             f'ISA13 {isa.get(13)}')
            if segment.get(1) != str(groups):
                return _fatal_none(result, segment, 'IEA01', f'says {segment.get(1)} functional groups; the '
                                                             f'interchange has {groups}')
            isa = None
        elif gs is None:
            return _fatal_none(result, segment, '', 'a segment outside a functional group (GS)')
        elif sid == 'ST':
            if st is not None:
                return _fatal_none(result, segment, '', 'a second ST before the SE that closes the first')
            st, body, sets = segment, [segment], sets + 1
            if segment.get(1) != '835':
                return _fatal_none(result, segment, 'ST01', f'transaction set {segment.get(1)} is not an 835'
                                                            + (' (an 837 claim)' if segment.get(1) == '837' else ''))
        elif sid == 'SE':
            if st is None:
                return _fatal_none(result, segment, '', 'an SE without its ST')
            body.append(segment)
            if segment.get(2) != st.get(2):
                return _fatal_none(result, segment, 'SE02', f'control number {segment.get(2)} does not match '
                                                            f'ST02 {st.get(2)}')
            if segment.get(1) != str(len(body)):
                return _fatal_none(result, segment, 'SE01', f'says {segment.get(1)} segments; the transaction '
                                                            f'has {len(body)}')
            result.transactions.append(body)
            st, body = None, []
        elif st is not None:
            body.append(segment)
        elif sid == 'GE':
            if segment.get(2) != gs.get(6):
                return _fatal_none(result, segment, 'GE02', f'control number {segment.get(2)} does not match '
                                                            f'GS06 {gs.get(6)}')
            if segment.get(1) != str(sets):
                return _fatal_none(result, segment, 'GE01', f'says {segment.get(1)} transaction sets; the group '
                                                            f'has {sets}')
            gs = None
        else:
            return _fatal_none(result, segment, '', 'a segment outside a transaction set (ST..SE)')
    last = segments[-1].line if segments else 1
    missing = 'SE' if st is not None else 'GE' if gs is not None else 'IEA' if isa is not None else ''
    if missing:
        _fatal(result, last, segments[-1].id if segments else '', '',
               f'the file ends before its {missing}: it is truncated')
    elif not result.transactions:
        _fatal(result, last, '', '', 'the file holds no 835 transaction set')


def _fatal_none(result: Interchange, segment: Segment, element: str, message: str) -> None:
    _fatal(result, segment.line, segment.id, element, message)
