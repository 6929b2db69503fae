"""File upload fields for the pages that take files (insurance cards, message attachments), and the
list of a message's stored files (`attachment_list`).

The server refuses an upload request over pages.body_limits' upload limit (10 MB a file) with a bare
413; this field keeps people from meeting it: the browser refuses a file over the limit before sending
it, and any refusal (or a lost connection) is told in words on the page.
"""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any, NoReturn

from nicegui import events, run, ui

from components import theme
from portal.services import files
from portal.services.files import MAX_FILES_PER_MESSAGE

UPLOAD_MAX_FILE_BYTES = 10 * 1000 * 1000  # "10 MB a file", as the messages say it
WRONG_TYPE = 'A file you chose is not a PDF, JPEG, PNG or HEIC file, so it was not added.'
TOO_LARGE = f'That file is too large. Choose one of at most {UPLOAD_MAX_FILE_BYTES // 1_000_000} MB.'
FAILED = 'The file did not upload. Check that it is at most 10 MB and try again.'
ONE_AT_A_TIME = 'Choose one file at a time.'
ANY_KIND = 'a PDF, JPEG, PNG or HEIC file'
PICTURE_KINDS = 'a picture or a PDF: JPEG, PNG, HEIC or PDF'
ACCEPT = '.pdf,.jpg,.jpeg,.png,.heic,.heif,application/pdf,image/*'
HEADER = (  # a Vue template: `props` is QUploader's slot scope (pickFiles, addFiles, isUploading)
    '<div class="flex items-center no-wrap gap-2 p-2">'
    '<q-btn flat dense no-caps icon="attach_file" label="Choose files" class="shrink-0" '
    '@click="props.pickFiles" :disable="props.isUploading"></q-btn>'
    '<input type="file" class="q-uploader__input hidden" multiple tabindex="-1" aria-label="Attach files" '
    f'accept="{ACCEPT}" @change="e => {{ props.addFiles(e.target.files); e.target.value = \'\' }}">'
    '<span class="text-sm">LABEL</span>'
    '<q-spinner v-if="props.isUploading" size="1.25em" aria-label="Uploading"></q-spinner></div>')


def rejected_message(entries: Any, kinds: str = ANY_KIND) -> str:
    """What a one-file field says when the browser refuses a choice: Quasar's `rejected` event gives each
    refused file as {'failedPropValidation': 'accept' | 'max-file-size' | 'max-files' | ...}. A wrong
    kind names the kinds the field takes (`kinds`: 'a picture: JPEG, PNG or HEIC'); only a file over the
    limit is told it is too large."""
    reasons = {entry.get('failedPropValidation') if isinstance(entry, dict) else None
               for entry in (entries if isinstance(entries, list) else [])}
    told = []
    if 'max-file-size' in reasons:
        told.append(TOO_LARGE)
    if 'max-files' in reasons:
        told.append(ONE_AT_A_TIME)
    if 'accept' in reasons or not told:  # 'accept', or a refusal Quasar did not name: the kind of file
        told.insert(0, f'That kind of file cannot be used here. Choose {kinds}.')
    return ' '.join(told)


def file_upload(label: str, *, on_upload: Callable[[events.UploadEventArguments], Any], mark: str = '',
                kinds: str = ANY_KIND) -> ui.upload:
    """One file at a time, at most UPLOAD_MAX_FILE_BYTES; a file the browser refuses is told why (a wrong
    kind names `kinds`; too large names the limit); a failed upload gets a message."""
    element = ui.upload(label=label, on_upload=on_upload, max_file_size=UPLOAD_MAX_FILE_BYTES,
                        auto_upload=True).classes('w-full')
    element.on('rejected', lambda event: ui.notify(rejected_message(event.args, kinds), type='warning'))
    element.on('failed', lambda: ui.notify(FAILED, type='negative'))
    if mark:
        element.mark(mark)
    return element


def named_file_upload(label: str, *, on_upload: Callable[[events.UploadEventArguments], Any], mark: str = '',
                      accept: str = '', kinds: str = ANY_KIND) -> ui.upload:
    """file_upload with the accessible header of the attachment picker (a named button, a labelled input):
    one file of any type (`accept` narrows what the browser offers; `kinds` says it in words)."""
    element = file_upload(label, on_upload=on_upload, mark=mark, kinds=kinds)
    header = HEADER.replace(' multiple', '').replace(f'accept="{ACCEPT}"', f'accept="{escape(accept)}"' if accept
                                                    else '').replace('Attach files', escape(label))
    element.add_slot('header', header.replace('LABEL', escape(label)).replace('Choose files', 'Choose a file'))
    element.props('flat bordered')
    return element


PHOTO_ACCEPT = 'image/*,.heic,.heif,.pdf,application/pdf'
PICTURE_ONLY_ACCEPT = 'image/*,.heic,.heif'
PICTURE_ONLY_KINDS = 'a picture: JPEG, PNG or HEIC'


def photo_upload(text: str, *, on_upload: Callable[[events.UploadEventArguments], Any], mark: str = '',
                 pictures_only: bool = False) -> ui.upload:
    """One picture or PDF (`pictures_only`: one picture) at a time; phones offer the camera (`capture`,
    not for pictures only: a logo is a file). Quasar's own header nests its file input in an unnamed button;
    here the input sits in a visible label instead, so a screen reader names it and a keyboard reaches it
    (the ring shows where focus is)."""
    element = file_upload(text, on_upload=on_upload, mark=mark,
                          kinds=PICTURE_ONLY_KINDS if pictures_only else PICTURE_KINDS)
    if pictures_only:
        element.props(f'accept="{PICTURE_ONLY_ACCEPT}" flat bordered color=white')
    else:
        element.props(f'accept="{PHOTO_ACCEPT}" capture=environment flat bordered color=white')
    element.classes(theme.NO_FILE_LIST)  # the page shows the stored photo
    with element.add_slot('header'):
        with ui.element('label').classes('relative flex items-center gap-2 w-full px-3 py-3 cursor-pointer '
                                         'text-teal-900 font-semibold focus-within:ring-2 focus-within:ring-teal-700'):
            ui.icon('photo_camera', size='sm').props('aria-hidden=true')
            ui.html(f'<span>{escape(text)}</span>', sanitize=False)
            ui.element('q-uploader-add-trigger')
    return element


def too_many_message(left_out: int) -> str:
    """What the picker says when `left_out` files of one choice went past MAX_FILES_PER_MESSAGE."""
    verb = 'was' if left_out == 1 else 'were'
    return (f'You can attach at most {MAX_FILES_PER_MESSAGE} files to a message: '
            f'{left_out} of the files you chose {verb} not added.')


class AttachmentPicker:
    """Up to MAX_FILES_PER_MESSAGE files chosen for one message, held here until the page sends them.

    Each file is checked by the file service as it arrives (off the event loop): a refused one is told
    in words under the field, not kept, and stays listed as "not attached" until the person removes it;
    meanwhile `files_to_send()` refuses, so no message goes out as if the file were with it. `files` is
    [(name, bytes)] in the order chosen; `clear()` after sending. The server keeps each upload request to
    one file (no batch), so the body limit holds.
    """

    def __init__(self, label: str = 'Attach files (PDF, JPEG, PNG or HEIC, up to 10 MB each)', *,
                 mark: str = 'attachments-picker') -> None:
        self.files: list[tuple[str, bytes]] = []
        self.refused: list[str] = []  # the files not attached, by name ('' for one the browser refused unnamed)
        with ui.column().classes('w-full gap-1') as self.container:
            self.upload = ui.upload(label=label, multiple=True, auto_upload=True, max_files=MAX_FILES_PER_MESSAGE,
                                    max_file_size=UPLOAD_MAX_FILE_BYTES, on_upload=self._received) \
                .classes(f'w-full {theme.NO_FILE_LIST}').mark(mark)  # `chosen` below lists the files, not an empty box
            self.upload.props(f'accept="{ACCEPT}"')
            # our own header: a named button and a labelled input (Quasar's own puts an unnamed file input
            # inside a link-button, which screen readers cannot name and axe reports as nested controls)
            self.upload.add_slot('header', HEADER.replace('LABEL', escape(label)))
            self.upload.on('failed', lambda: self._tell(FAILED))
            # Quasar refuses files of a choice in the browser ("rejected": too large, or past max-files) and
            # then announces the rest ("added"), in that order: a new choice forgets the last one's refusals,
            # but not the ones just told for this very choice
            self._refused_now = False
            self.upload.on('rejected', lambda event: self._rejected(event.args or []))
            self.upload.on('added', self._added, args=[])
            # empty the field once every file chosen together has arrived (a reset earlier would abort the
            # others still uploading): the list below is what will be sent
            self.upload.on('finish', lambda: self.upload.reset())
            self.error = ui.label('').classes('text-red-800 text-sm whitespace-pre-line').props('role=alert') \
                .mark('attachments-error')
            self.chosen = ui.row().classes('gap-2 flex-wrap').mark('attachments-chosen')

    def _tell(self, message: str) -> None:
        """Add a refusal to the ones of the files chosen together (each file arrives on its own)."""
        if not message:
            self.error.text = ''
        elif message not in self.error.text.splitlines():
            self.error.text = f'{self.error.text}\n{message}'.strip()

    def _rejected(self, entries: list[dict[str, Any]]) -> None:
        """Quasar's refusals of a new choice, each {'failedPropValidation': 'max-file-size' | 'max-files' | ...}."""
        reasons = [entry.get('failedPropValidation') if isinstance(entry, dict) else None for entry in entries]
        self._tell('')
        if 'max-files' in reasons:
            self._tell(too_many_message(reasons.count('max-files')))
        if 'max-file-size' in reasons:
            self._tell(TOO_LARGE)
        if any(reason not in ('max-files', 'max-file-size') for reason in reasons):  # 'accept': the file type
            self._tell(WRONG_TYPE)
        self._refused_now = True
        self.refused.extend('' for _ in reasons)
        self._draw()

    def _added(self) -> None:
        if not self._refused_now:
            self._tell('')
        self._refused_now = False

    async def _received(self, event: events.UploadEventArguments) -> None:
        name, data = event.file.name, await event.file.read()
        try:
            files.check_count(len(self.files) + 1)
            await run.io_bound(files.check_upload, name, data)
            files.check_count(len(self.files) + 1)  # again: files chosen together arrive side by side
        except files.FileRefused as refusal:
            self._tell(refusal.message)
            self.refused.append(name or '')
            self._draw()
            return
        self.files.append((name, data))
        self._draw()

    def _draw(self) -> None:
        self.chosen.clear()
        with self.chosen:
            for index, (name, data) in enumerate(self.files):
                with ui.element('div').classes('flex items-center gap-1 rounded border px-2 py-1 text-sm'):
                    ui.label(f'{name} ({human_size(len(data))})')
                    ui.button(icon='close', on_click=lambda _, i=index: self.remove(i)) \
                        .props(f'flat round dense aria-label="Remove {escape(name)}"') \
                        .mark(f'remove-attachment-{index}')
            for index, name in enumerate(self.refused):
                shown = name or 'A file you chose'
                with ui.element('div').classes('flex items-center gap-1 rounded border border-red-700 bg-red-50 '
                                               'px-2 py-1 text-sm text-red-900'):
                    ui.icon('block', size='xs').props('aria-hidden=true')
                    ui.label(f'{shown}: not attached')
                    ui.button(icon='close', on_click=lambda _, i=index: self.remove_refused(i)) \
                        .props(f'flat round dense aria-label="Remove {escape(shown)} (not attached)"') \
                        .mark(f'remove-refused-{index}')

    def remove(self, index: int) -> None:
        del self.files[index]
        self._draw()

    def remove_refused(self, index: int) -> None:
        """The person takes a refused file off the list: the message may then go without it."""
        del self.refused[index]
        if not self.refused:
            self._tell('')
        self._draw()

    def files_to_send(self) -> list[tuple[str, bytes]]:
        """The files to send with the message; FileRefused (a message for beside Send) while a file the
        person chose was refused and is still listed: a message never goes out as if it carried it."""
        if self.refused:
            refuse_unattached(self.refused)
        return list(self.files)

    def clear(self) -> None:
        self.files.clear()
        self.refused.clear()
        self._tell('')
        self._draw()


def refuse_unattached(names: list[str]) -> NoReturn:
    """FileRefused saying which chosen files could not be attached and what to do before sending."""
    named = [f'"{name}"' for name in names if name]
    if len(names) == 1:
        what = f'{named[0] if named else "A file you chose"} could not be attached'
        todo = 'Remove it (× beside its name) to send without it; you can choose another file too'
    else:
        what = f'{len(names)} files you chose could not be attached' + (f' ({", ".join(named)})' if named else '')
        todo = 'Remove them (× beside each name) to send without them; you can choose other files too'
    raise files.FileRefused(f'{what}, so the message was not sent; the reason is under the attachments. {todo}.',
                            field_errors={'files': 'Not attached.'})


def human_size(size: int) -> str:
    """Bytes as people read them: 532 bytes, 48 KB, 2.4 MB."""
    if size < 1024:
        return f'{size} bytes'
    if size < 1024 * 1024:
        return f'{size // 1024} KB'
    return f'{size / 1024 / 1024:.1f} MB'


def attachment_list(stored: list[files.StoredFileView]) -> ui.row | None:
    """The stored files of a message: pictures as thumbnails that open full size, others as download
    links with their size. Nothing is drawn for no files."""
    if not stored:
        return None
    with ui.row().classes('gap-3 flex-wrap items-end').mark('attachments') as row:
        for item in stored:
            if item.inline:
                with ui.link(target=item.url, new_tab=True).classes('block').props(
                        f'aria-label="Open picture {item.name}"').mark('attachment-picture'):
                    ui.image(item.url).classes('w-24 h-24 rounded border border-slate-300').props(
                        f'fit=cover alt="{item.name}"')
            else:
                ui.link(f'{item.name} ({human_size(item.size)})', item.url).classes(f'{theme.LINK} py-2') \
                    .props('download').mark('attachment-download')
    return row
