"""The cast of the demo: organisations and people, all fictional where not a public body.

UN agencies, the World Bank and host-government offices appear under their public names
because Annex I names such actors; every ownership, figure and report in the demo is
invented and says nothing about what any real organisation does.
"""

from dataclasses import dataclass, field

from app.core.vocab import OrganisationType as T
from app.core.vocab import SituationRole

EMAIL_DOMAIN = "demo.crrf"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Org:
    name: str
    acronym: str | None
    type: T
    country: str | None = None


ORGANISATIONS: dict[str, Org] = {
    # governments and their line ministries
    "opm": Org("Office of the Prime Minister (Uganda)", "OPM", T.GOVERNMENT, "UGA"),
    "moh": Org("Ministry of Health (Uganda)", "MoH", T.GOVERNMENT, "UGA"),
    "moes": Org("Ministry of Education and Sports (Uganda)", "MoES", T.GOVERNMENT, "UGA"),
    "drs": Org("Department of Refugee Services (Kenya)", "DRS", T.GOVERNMENT, "KEN"),
    "cnarr": Org("National Refugee Commission (Chad)", "CNARR", T.GOVERNMENT, "TCD"),
    "migcol": Org("Migration Authority (Colombia)", None, T.GOVERNMENT, "COL"),
    # UN agencies, development banks, a regional body, donors
    "unhcr": Org("UNHCR, the UN Refugee Agency", "UNHCR", T.UN_AGENCY),
    "wfp": Org("World Food Programme", "WFP", T.UN_AGENCY),
    "unicef": Org("United Nations Children's Fund", "UNICEF", T.UN_AGENCY),
    "undp": Org("United Nations Development Programme", "UNDP", T.UN_AGENCY),
    "iom": Org("International Organization for Migration", "IOM", T.UN_AGENCY),
    "wb": Org("World Bank", "WB", T.IFI),
    "idb": Org("Inter-American Development Bank", "IDB", T.IFI),
    "igad": Org("Intergovernmental Authority on Development", "IGAD", T.REGIONAL_ORGANISATION),
    "gsf": Org("Global Solidarity Fund for Displacement", "GSF", T.DONOR),
    "ndc": Org("Nordland Development Cooperation", "NDC", T.DONOR),
    # civil society, refugee-led, faith-based, Red Cross
    "hri": Org("Horizon Relief International", "HRI", T.INTERNATIONAL_NGO),
    "cfw": Org("Children First Worldwide", "CFW", T.INTERNATIONAL_NGO),
    "nvca": Org("Nile Valley Community Aid", "NVCA", T.NATIONAL_NGO, "UGA"),
    "nfdi": Org("Northern Frontier Development Initiative", "NFDI", T.NATIONAL_NGO, "KEN"),
    "aso": Org("Action Solidaire du Ouaddaï", "ASO", T.NATIONAL_NGO, "TCD"),
    "fpf": Org("Fundación Puentes de Frontera", "FPF", T.NATIONAL_NGO, "COL"),
    "iar": Org("Interfaith Action for Refugees", "IAR", T.FAITH_BASED),
    "ssryn": Org("South Sudanese Refugee Youth Network", "SSRYN", T.REFUGEE_LED, "UGA"),
    "swrc": Org("Somali Women Refugees' Collective", "SWRC", T.REFUGEE_LED, "KEN"),
    "rvu": Org("Red de Venezolanos Unidos", "RVU", T.REFUGEE_LED, "COL"),
    "rcwn": Org("Red Cross Society, West Nile Branch", None, T.RED_CROSS_RED_CRESCENT, "UGA"),
    "rcou": Org("Red Cross of Chad, Ouaddaï Branch", None, T.RED_CROSS_RED_CRESCENT, "TCD"),
    # private sector, academia, media
    "smm": Org("Savannah Mobile Money Ltd", "SMM", T.PRIVATE_SECTOR, "UGA"),
    "aep": Org("Andes Employment Partners S.A.S.", "AEP", T.PRIVATE_SECTOR, "COL"),
    "glu": Org(
        "Great Lakes University, Centre for Forced Migration Studies", "GLU-CFMS", T.ACADEMIA, "UGA"
    ),
    "radio": Org("West Nile Community Radio", None, T.MEDIA, "UGA"),
}

C, P, V = SituationRole.COORDINATOR, SituationRole.PARTNER, SituationRole.VIEWER


@dataclass(frozen=True)
class Person:
    """A demo user: e-mail (local part), name, organisation key, role per situation key."""

    local: str
    name: str
    organisation: str | None
    roles: dict[str, SituationRole] = field(default_factory=dict)
    admin: bool = False

    @property
    def email(self) -> str:
        return f"{self.local}@{EMAIL_DOMAIN}"


PEOPLE: list[Person] = [
    Person("admin", "Demo Administrator", None, admin=True),
    # the four sign-ins printed by `crrf demo`
    Person("coordinator", "Grace Atim", "unhcr", {"uga": C, "ken": V}),
    Person("partner", "Joseph Lomoro", "nvca", {"uga": P}),
    Person("viewer", "Ingrid Solberg", "gsf", {"uga": V, "ken": V, "tcd": V}),
    # co-coordinators
    Person("opm.coordinator", "Moses Okiror", "opm", {"uga": C}),
    Person("kenya.coordinator", "Hassan Abdi", "unhcr", {"ken": C}),
    Person("drs.coordinator", "Wanjiru Kamau", "drs", {"ken": C}),
    Person("chad.coordinator", "Mahamat Saleh", "unhcr", {"tcd": C}),
    Person("colombia.coordinator", "Camila Rojas", "iom", {"col": C}),
    # partners in other organisations
    Person("wfp.partner", "Aisha Nansubuga", "wfp", {"uga": P, "ken": P, "tcd": P}),
    Person("unicef.partner", "Pierre Ndayishimiye", "unicef", {"uga": P, "tcd": P}),
    Person("undp.partner", "Sarah Auma", "undp", {"uga": P}),
    Person("worldbank.partner", "Daniel Mensah", "wb", {"uga": P, "ken": P, "col": P}),
    Person("hri.partner", "Lucia Ferrante", "hri", {"uga": P, "ken": P, "col": P}),
    Person("youth.partner", "Deng Majok", "ssryn", {"uga": P}),
    Person("glu.partner", "Esther Nakato", "glu", {"uga": P}),
    Person("smm.partner", "Brian Ssemwogerere", "smm", {"uga": P}),
    Person("nfdi.partner", "Abdullahi Noor", "nfdi", {"ken": P}),
    Person("swrc.partner", "Fadumo Warsame", "swrc", {"ken": P}),
    Person("iar.partner", "Rev. Peter Otieno", "iar", {"ken": P, "tcd": P}),
    Person("cfw.partner", "Hélène Moreau", "cfw", {"tcd": P}),
    Person("aso.partner", "Khadidja Abakar", "aso", {"tcd": P}),
    Person("cnarr.partner", "Adoum Mahamat", "cnarr", {"tcd": P}),
    Person("fpf.partner", "Andrés Gómez", "fpf", {"col": P}),
    Person("rvu.partner", "María Fernanda Pérez", "rvu", {"col": P}),
    Person("aep.partner", "Santiago Herrera", "aep", {"col": P}),
    Person("idb.partner", "Valentina Castro", "idb", {"col": P}),
]

# The sign-ins `crrf demo` prints, in this order.
SIGN_INS = ("admin", "coordinator", "partner", "viewer")
