"""The treatment-reservation confirmation (진료예약확인서) a confirmed booking's patient files for a medical
visa (C-3-3): the institution and its registration, the patient, the visits' dates, the treatment and the
interpreter, in Korean and English on one page, set in Debian's Nanum Gothic (``fonts-nanum``).

It is the document behind the clinics' ``VISA_INVITATION_LETTER`` service, and only the agency that booked
and the clinic that treats may have it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel import Locale
from fpdf import FPDF
from fpdf.fonts import FontFace

from services.common.clock import seoul_date, seoul_iso, seoul_today
from services.common.errors import Problem

from .careplan import visit_procedures

FONT_DIR = Path(os.environ.get("CJK_FONT_DIR", "/usr/share/fonts/truetype/nanum"))
CONFIRMED = ("BOOKED", "ARRIVED", "FULFILLED")  # the clinic confirmed it, and it is neither cancelled nor missed
CATEGORY_NAMES = {
    "CLINIC": ("의원", "Clinic"),
    "HOSPITAL": ("병원", "Hospital"),
    "GENERAL_HOSPITAL": ("종합병원", "General hospital"),
    "TERTIARY_HOSPITAL": ("상급종합병원", "Tertiary hospital"),
}
KOREAN, ENGLISH = Locale("ko"), Locale("en")
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # it names every table it leaves out


def _check_confirmed(booking: dict) -> None:
    if booking["status"] not in CONFIRMED:
        raise Problem(
            409,
            "BOOKING_NOT_CONFIRMED",
            f"The booking is {booking['status']}: the clinic confirms a reservation only once it has confirmed the "
            "booking, and not after it was cancelled or missed.",
        )


def _country(code: str) -> str:
    return f"{KOREAN.territories.get(code, code)} / {ENGLISH.territories.get(code, code)} ({code})"


def _language(code: str) -> str:
    return f"{KOREAN.languages.get(code, code)} / {ENGLISH.languages.get(code, code)}"


def fields(booking: dict, institution: dict | None) -> list[tuple[str, str]]:
    """The document's fields, as (label, value) in Korean and English: what the PDF prints and a test reads."""
    registered = (booking.get("registrations") or {}).get("institution") or {}
    institution = institution or {}
    name = institution.get("name") or registered.get("name") or booking["clinic"]
    number = institution.get("number") or registered.get("number") or "-"
    category = CATEGORY_NAMES.get(institution.get("category") or registered.get("category") or "", ("-", "-"))
    expires = institution.get("expires_on") or registered.get("expiresOn") or "-"
    texts = booking.get("package_texts") or {}
    title = texts.get("title") or {}
    procedures = {
        item["procedure"]: (texts.get("procedures", {}).get(item["procedure"]) or {}) | {"en": item.get("name")}
        for item in booking["package"]["items"]
    }
    treatment = "; ".join(
        f"{names.get('ko') or names['en']} / {names['en']}" if names.get("ko") else str(names["en"])
        for names in procedures.values()
    )
    per_visit = visit_procedures(booking["package"])
    visits = [
        f"{visit['number']}. {seoul_iso(visit['start'])[:16].replace('T', ' ')} (KST) — "
        + ", ".join(
            str(procedures[code]["en"])
            for code in (per_visit[visit["number"] - 1] if visit["number"] <= len(per_visit) else [])
        )
        for visit in booking["visits"]
        if visit["status"] != "CANCELLED"
    ]
    language = booking.get("interpreter_language")
    interpreters = sorted({v["interpreter"]["name"] for v in booking["visits"] if v.get("interpreter")})
    interpreter = (
        f"{_language(language)}" + (f" — {', '.join(interpreters)}" if interpreters else "")
        if language
        else "없음 / None"
    )
    facilitator = (booking.get("registrations") or {}).get("facilitator") or {}
    patient = booking["patient"]
    return [
        ("예약번호 / Reservation", booking["reference"]),
        ("의료기관 / Medical institution", name),
        ("종별 / Category", f"{category[0]} / {category[1]}"),
        ("외국인환자 유치 등록번호 / Registration no.", f"{number} (~{expires})"),
        ("환자 성명 / Patient name", patient["name"]),
        ("국적 / Nationality", _country(patient["nationality"])),
        (
            "진료 내용 / Treatment",
            f"{title.get('ko') or ''} / {title.get('en') or booking['package']['title']}".strip(" /"),
        ),
        ("시술 / Procedures", treatment),
        ("진료 일정 / Visits", "\n".join(visits)),
        ("통역 / Interpreter", interpreter),
        ("유치업자 / Facilitator", f"{facilitator.get('name', booking['agency'])} ({facilitator.get('number', '-')})"),
        ("발급일 / Issued on", seoul_today().isoformat()),
    ]


def confirmation_pdf(booking: dict, institution: dict | None) -> bytes:
    """The confirmation of a confirmed booking as a PDF (refused BOOKING_NOT_CONFIRMED otherwise)."""
    _check_confirmed(booking)
    pdf = FPDF(format="A4")
    pdf.set_title(f"Treatment reservation confirmation {booking['reference']}")
    pdf.add_font("nanum", fname=str(FONT_DIR / "NanumGothic.ttf"))
    pdf.add_font("nanum", style="B", fname=str(FONT_DIR / "NanumGothicBold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_font("nanum", "B", 17)
    pdf.cell(0, 10, "진료예약확인서", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("nanum", "B", 13)
    pdf.cell(0, 8, "Treatment Reservation Confirmation", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("nanum", "", 9)
    pdf.cell(
        0,
        6,
        "의료관광 비자(C-3-3) 신청용 / For a medical visa (C-3-3) application",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(4)
    pdf.set_font("nanum", "", 9)
    with pdf.table(col_widths=(34, 66), line_height=6, text_align="LEFT", first_row_as_headings=False) as table:
        for label, value in fields(booking, institution):
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(_printable(value))
    pdf.ln(6)
    pdf.set_font("nanum", "", 9)
    first = seoul_date(booking["visits"][0]["start"]).isoformat()
    pdf.multi_cell(
        0,
        5,
        f"위 환자가 {first}부터 위 일정으로 본 의료기관에서 진료를 받기로 예약되었음을 확인합니다.\n"
        f"This is to confirm that the patient above has reserved treatment at this institution on the visits "
        f"above, from {first}.",
        align="L",
    )
    return bytes(pdf.output())


def _printable(text: str) -> str:
    """Nanum Gothic has no subscript digits (CO₂)."""
    return text.translate(SUBSCRIPTS)
