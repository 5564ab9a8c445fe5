from __future__ import annotations

import codecs
import zipfile

import openpyxl
import pytest

from datasets_app.pipeline import ReaderError, iter_jsonl, iter_table, preview_table, sniff
from tests.datasets_app.helpers import write_xlsx


def _rows(path, **kw):
    s = sniff(path, path.name, **kw)
    return s, [r for r in iter_table(path, s) if not r.is_blank]


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_it_detects_csv_encodings(tmp_path, encoding, bom, expected):
    path = tmp_path / "faq.csv"
    path.write_bytes(bom + "Frage,Antwort\nWas kostet ein Café?,3 €\n".encode(encoding))
    s, rows = _rows(path)
    assert s.encoding == expected
    assert s.headers == ["Frage", "Antwort"]
    assert rows[0].cells == {"Frage": "Was kostet ein Café?", "Antwort": "3 €"}


def test_it_lets_the_user_override_the_encoding(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("a,b\nx,\u00e9\n".encode("latin-1"))
    s, rows = _rows(path, encoding="latin-1")
    assert s.encoding == "latin-1" and rows[0].cells["b"] == "é"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_detects_the_delimiter(tmp_path, delimiter):
    path = tmp_path / "f.csv"
    lines = [delimiter.join(["question", "answer", "category"])]
    lines += [delimiter.join([f"q {i}", f"a {i}", "c"]) for i in range(5)]
    path.write_text("\n".join(lines) + "\n")
    s, rows = _rows(path)
    assert s.delimiter == delimiter
    assert rows[4].cells == {"question": "q 4", "answer": "a 4", "category": "c"}


def test_it_reads_quoted_newlines_and_doubled_quotes_with_source_lines(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'q,a\r\n"line one\r\nline two","He said ""hi"""\r\nnext,row\r\n')
    _, rows = _rows(path)
    assert rows[0].cells == {"q": "line one\r\nline two", "a": 'He said "hi"'}
    assert [r.row for r in rows] == [2, 4]  # the line where each record starts


def test_it_names_the_line_of_invalid_utf8_in_the_middle(tmp_path):
    path = tmp_path / "f.csv"
    good = "q,a\n" + "".join(f"question {i},answer {i}\n" for i in range(300_000))
    path.write_bytes(good.encode() + b"bad \xff byte,here\n")
    s = sniff(path, "f.csv")
    assert s.encoding == "utf-8"  # the sample was clean
    with pytest.raises(ReaderError) as exc:
        list(iter_table(path, s))
    assert exc.value.code == "invalid_encoding"
    assert "line 300002" in exc.value.message


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\n\n  \n", "empty_file"),
        (b"question,answer\n", "header_only"),
        (bytes(range(256)) * 40, "binary_file"),
    ],
)
def test_it_refuses_bad_csv_files(tmp_path, content, code):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(ReaderError) as exc:
        sniff(path, "data.csv")
    assert exc.value.code == code
    assert "data.csv" in exc.value.message or code == "header_only"


def test_it_refuses_a_cell_of_absurd_size(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'q,a\nhi,"' + b"x" * (17 * 1024 * 1024) + b'"\n')
    s = sniff(path, "f.csv")
    with pytest.raises(ReaderError) as exc:
        list(iter_table(path, s))
    assert exc.value.code == "cell_too_large" and exc.value.row == 2


def test_it_reads_a_cell_of_several_megabytes(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'q,a\nhi,"' + b"y" * (3 * 1024 * 1024) + b'"\n')
    _, rows = _rows(path)
    assert len(rows[0].cells["a"]) == 3 * 1024 * 1024


def test_it_finds_the_header_below_title_rows_and_formats_cells(tmp_path):
    import datetime as dt

    path = write_xlsx(
        tmp_path / "faq.xlsx",
        [
            ["Customer FAQ — exported"],
            [],
            ["Owner: support team"],
            [],
            ["Question", "Answer", "Since", "Views", "Live"],
            ["Where?", "Here", dt.datetime(2024, 3, 1), 42.0, True],
            [],
            ["When?", "Now", dt.datetime(2024, 3, 1, 14, 30), 0.25, False],
        ],
    )
    s, rows = _rows(path)
    assert s.header_row == 5 and s.headers == ["Question", "Answer", "Since", "Views", "Live"]
    assert "row 5" in s.notes[0]
    assert rows[0].cells == {"Question": "Where?", "Answer": "Here", "Since": "2024-03-01",
                             "Views": "42", "Live": "TRUE"}  # fmt: skip
    assert rows[1].cells["Since"] == "2024-03-01 14:30" and rows[1].cells["Views"] == "0.25"
    assert [r.row for r in rows] == [6, 8]


def test_it_reads_formulas_as_cached_values_and_merged_headers(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Question", "Answer", None])
    ws.merge_cells("B1:C1")
    ws.append(["q", "a", "=1+1"])
    wb.save(path)
    # openpyxl writes no cached value; rewrite the sheet XML with one, as Excel would.
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<f>1+1</f><v />", "<f>1+1</f><v>2</v>"
    ).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    s, rows = _rows(path)
    assert s.headers == ["Question", "Answer", "Answer (2)"]
    assert rows[0].cells["Answer (2)"] == "2"


def test_it_picks_the_sheet_with_data_and_lets_the_user_choose(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["Read me first"]], sheet="Intro",
                      extra_sheets=[("Data", [["q", "a"], ["x", "y"]])])  # fmt: skip
    s = sniff(path, "f.xlsx")
    assert s.sheets == ["Intro", "Data"] and s.sheet == "Data"
    with pytest.raises(ReaderError, match="no sheet called “Nope”"):
        sniff(path, "f.xlsx", sheet="Nope")


def test_it_stops_at_the_last_row_with_data(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["q", "a"])
    ws.append(["x", "y"])
    ws.cell(row=1_000_000, column=1).number_format = "0.00"  # formatting only, no value
    wb.save(path)
    s = sniff(path, "f.xlsx")
    rows = list(iter_table(path, s))
    assert [r.row for r in rows] == [2]


def test_it_refuses_a_zip_bomb(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(70):  # 1.1 GB unpacked, about 1 MB packed
                f.write(chunk)
    with pytest.raises(ReaderError) as exc:
        sniff(path, "bomb.xlsx")
    assert exc.value.code == "zip_bomb"
    assert "zip bomb" in exc.value.message


def test_it_refuses_a_damaged_workbook(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ReaderError) as exc:
        sniff(path, "f.xlsx")
    assert exc.value.code == "invalid_spreadsheet"


def test_jsonl_reports_each_bad_line(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(
        b'{"messages": []}\n'
        b"not json\n"
        b'{"messages": "\xff"}\n'
        + b"[" * 5000
        + b"]" * 5000
        + b"\n"
        + b"\n"
        + b'{"prompt": "p", "completion": "c"}\n'
    )
    lines = list(iter_jsonl(path))
    assert [(ln.line, ln.error.code if ln.error else None) for ln in lines] == [
        (1, None), (2, "invalid_json"), (3, "invalid_utf8"), (4, "too_deep"), (6, None),
    ]  # fmt: skip
    assert "Line 2 is not valid JSON" in lines[1].error.message


def test_it_sniffs_jsonl_kinds(tmp_path):
    for body, kind in [
        ('{"messages": [{"role": "user", "content": "x"}]}', "chat"),
        ('{"input": {"messages": []}, "preferred_output": [], "non_preferred_output": []}',
         "preference"),
        ('{"prompt": "a", "completion": "b"}', "prompt_completion"),
    ]:  # fmt: skip
        path = tmp_path / "f.jsonl"
        path.write_text(body + "\n" + body + "\n")
        assert sniff(path, "f.jsonl").jsonl_kind == kind


def test_it_reads_a_json_document_with_a_list_of_records(tmp_path):
    path = tmp_path / "faq.json"
    path.write_text('{\n  "questions": [\n    {"question": "q1", "answer": "a1"},\n'
                    '    {"question": "q2", "answer": "a2"}\n  ]\n}\n')  # fmt: skip
    s = sniff(path, "faq.json")
    assert s.format == "json" and s.headers == ["question", "answer"]
    assert [r.cells for r in preview_table(path, s)] == [
        {"question": "q1", "answer": "a1"}, {"question": "q2", "answer": "a2"},
    ]  # fmt: skip


def test_it_unwraps_lines_quoted_by_a_second_csv_writer(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('"""age"";""job"""\n"30;""unemployed"""\n"33;""services"""\n')
    s, rows = _rows(path)
    assert s.headers == ["age", "job"]
    assert rows[1].cells == {"age": "33", "job": "services"}


def test_it_reads_an_ods_spreadsheet_with_its_header_below_a_title(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="FAQ")
    for values in [["Title"], [], ["Frage", "Antwort"], ["Wie?", "So."], ["Wo?", "Hier."]]:
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "faq.ods"
    doc.save(str(path))
    s, rows = _rows(path)
    assert (s.format, s.sheet, s.header_row, s.headers) == ("ods", "FAQ", 3, ["Frage", "Antwort"])
    assert [r.cells for r in rows] == [
        {"Frage": "Wie?", "Antwort": "So."},
        {"Frage": "Wo?", "Antwort": "Hier."},
    ]
