"""What a one-file upload field says when the browser refuses a file: the kind, the size or the count."""
from __future__ import annotations

import pytest

from components.uploads import PICTURE_ONLY_KINDS, TOO_LARGE, rejected_message

WRONG_KIND = 'That kind of file cannot be used here. Choose a picture: JPEG, PNG or HEIC.'


@pytest.mark.parametrize(('entries', 'expected'), [
    ([{'failedPropValidation': 'accept'}], WRONG_KIND),
    ([{'failedPropValidation': 'max-file-size'}], TOO_LARGE),
    ([{'failedPropValidation': 'max-files'}], 'Choose one file at a time.'),
    ([{'failedPropValidation': 'accept'}, {'failedPropValidation': 'max-file-size'}],
     f'{WRONG_KIND} {TOO_LARGE}'),
    (None, WRONG_KIND),
])
def test_a_refused_file_is_told_why(entries, expected: str) -> None:  # noqa: ANN001
    assert rejected_message(entries, PICTURE_ONLY_KINDS) == expected
