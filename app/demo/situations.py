"""The four demo situations and, item by item, who owns what and how it goes.

The plan lines are read by ``app.demo.plans.ItemPlan``; items left out have no owners.
"""

from datetime import date

from app.core.vocab import Phase, ReviewPolicy
from app.demo.plans import CustomItem, Figure, Profile, SituationPlan

SOUTH_SUDANESE: Profile = (0.52, (0.13, 0.22, 0.17, 0.45, 0.03))
SOMALI: Profile = (0.50, (0.12, 0.21, 0.16, 0.47, 0.04))
SUDANESE: Profile = (0.56, (0.17, 0.24, 0.14, 0.41, 0.04))


UGANDA = SituationPlan(
    key="uga",
    name="South Sudanese refugees in Uganda",
    host_country="UGA",
    origin_countries=["SSD"],
    start_date=date(2016, 7, 8),
    phase=Phase.PROTRACTED,
    description=(
        "Settlement-based response in the West Nile and mid-western districts. Demo data: "
        "organisations, figures and reports are illustrative."
    ),
    population=[Figure("REF", 905_000, SOUTH_SUDANESE), Figure("ASY", 11_400)],
    population_later=[Figure("REF", 948_500, SOUTH_SUDANESE), Figure("ASY", 12_900)],
    frameworks=("uga-crrf",),  # Uganda's CRRF pillars, beside Annex I
    items={
        "5a": "L:opm S:unhcr I:nvca I:rcwn F:gsf @-40 >in_place",
        "5b": "L:nvca S:ssryn S:unicef F:ndc @-30 >in_progress",
        "5c": "L:wfp S:unhcr I:nvca I:hri F:gsf >in_place",
        "5d": "L:opm S:unhcr =in_progress @-90 >in_place",
        "5e": "L:unhcr I:nvca S:unicef @+60 >in_progress",
        "5f": "L:opm S:unicef I:nvca @-20 >in_progress",
        "5g": "L:opm @+200 !silent",
        "5h": "S:unhcr",
        "5i": "L:opm S:unhcr =in_place",
        "6a": "L:wb S:gsf F:ndc @+90 >in_progress",
        "6b": "L:undp F:gsf >planned",
        "6d": "L:wb S:opm F:wb >in_place",
        "6e": "L:undp S:opm I:hri F:wb @-75 >in_progress",
        "6f": "L:wfp I:smm S:unhcr F:gsf >in_place",
        "7a": "L:opm =in_place !silent",
        "7b": "L:moh S:unicef I:nvca @+150 >in_progress",
        "7c": "L:ssryn S:nvca S:iar >in_progress",
        "7d": "L:nvca S:ssryn F:ndc @-10 >in_progress",
        "7e": "L:undp S:opm S:unhcr >planned !quiet",
        "8a": "L:wb S:unhcr S:glu >in_place",
        "8b": "L:opm S:undp @-200 !silent",
        "8c": "S:wb F:gsf",
        "11c": "S:unhcr",
        "12a": "L:unhcr S:opm =in_place",
        "12b": "L:unhcr S:radio =planned",
        "12d": "S:iar S:ssryn",
        "12e": "L:ssryn^5 S:iar >planned",
        "13a": "L:opm =in_place",
        "13b": "L:moes S:unicef S:hri I:nvca F:wb @+240 >in_progress",
        "13c": "L:hri I:nvca I:smm S:glu >in_progress",
        "13d": "L:glu S:moes >planned !quiet",
        "14a": "L:unhcr S:smm =planned",
        "14b": "L:unhcr S:glu =in_place",
        "15": "S:unhcr",
        "16": "S:unhcr @-60",
    },
    not_applicable={
        "6c": "Uganda borrows on IDA terms; lending schemes for middle-income host countries "
        "do not apply.",
    },
    custom=[
        CustomItem(
            "13b.settlement-land",
            "Land for refugee households and host farmers",
            "Plots allocated to refugee households for shelter and cultivation, with host "
            "landowners' agreements, under the settlement approach.",
            "L:opm S:unhcr I:nvca @+60 >in_progress",
        )
    ],
    report_odds=0.75,
)

KENYA = SituationPlan(
    key="ken",
    name="Somali refugees in Kenya",
    host_country="KEN",
    origin_countries=["SOM"],
    start_date=date(1991, 12, 1),
    phase=Phase.PROTRACTED,
    description="Camp-based caseload in Garissa county moving towards integrated settlements.",
    population=[Figure("REF", 287_300, SOMALI), Figure("ASY", 36_800)],
    population_later=[Figure("REF", 293_900, SOMALI), Figure("ASY", 41_200)],
    items={
        "5a": "L:drs S:unhcr I:nfdi F:gsf >in_place",
        "5b": "L:swrc S:unhcr S:iar @-50 >in_progress",
        "5c": "L:wfp S:unhcr I:nfdi I:hri F:ndc >in_place",
        "5d": "L:drs S:unhcr =in_progress @+45 >in_place",
        "5e": "L:unhcr I:hri @-80 >in_progress",
        "5f": "L:drs S:unhcr @-25 !silent",
        "5g": "L:drs =in_progress !quiet",
        "5i": "L:drs S:unhcr =in_progress @+120 >in_place",
        "6a": "L:wb S:ndc >in_progress",
        "6b": "S:ndc F:gsf",
        "6c": "L:wb S:drs @+200 >planned",
        "6d": "L:wb S:unhcr >in_place",
        "6e": "L:hri S:nfdi F:ndc @-45 >in_progress",
        "6f": "L:wfp I:hri >in_place",
        "7a": "L:drs =in_place !quiet",
        "7b": "L:drs I:nfdi S:unhcr @+90 >in_progress",
        "7c": "L:swrc S:iar >in_progress",
        "7d": "L:nfdi F:ndc >planned",
        "7e": "S:unhcr S:wb",
        "8a": "L:wb S:unhcr >in_place",
        "8b": "L:drs S:wb @-160 >planned",
        "8c": "L:wb F:gsf >in_progress",
        "11a": "S:igad",
        "11b": "S:igad",
        "12a": "L:unhcr S:igad >in_place",
        "12b": "L:unhcr S:iar >in_progress",
        "12c": "L:igad^3 S:unhcr",
        "13a": "L:drs S:unhcr @+30 >in_progress",
        "13b": "L:drs S:wb S:hri I:nfdi F:wb >in_progress",
        "13c": "L:hri I:swrc >in_progress",
        "14a": "L:unhcr =in_progress",
        "14b": "L:unhcr S:iar =in_place",
        "15": "S:unhcr",
    },
    custom=[
        CustomItem(
            "13b.integrated-settlements",
            "Camps turned into integrated settlements",
            "Camps and the host areas around them planned and served as integrated "
            "settlements under the county integrated development plans.",
            "L:drs S:unhcr S:wb @+300 >planned",
        )
    ],
)

CHAD = SituationPlan(
    key="tcd",
    name="Sudanese refugees in Chad",
    host_country="TCD",
    origin_countries=["SDN"],
    start_date=date(2023, 4, 15),
    phase=Phase.EMERGENCY,
    description=(
        "Emergency response along the eastern border (Ouaddaï, Sila, Wadi Fira): reception, "
        "relocation from the border and life-saving assistance. Partners' reports are "
        "accepted on arrival during the emergency."
    ),
    population=[Figure("REF", 612_000, SUDANESE), Figure("ASY", 24_500)],
    population_later=[Figure("REF", 781_000, SUDANESE), Figure("ASY", 31_000)],
    items={
        "5a": "L:cnarr S:unhcr I:rcou I:aso F:gsf @-60 >in_place",
        "5b": "L:unhcr S:cfw I:aso >in_progress",
        "5c": "L:wfp S:unicef S:unhcr I:cfw I:rcou F:gsf >in_progress",
        "5d": "L:cnarr S:unhcr @-30 >in_progress",
        "5e": "L:unhcr I:cfw @+30 >in_progress",
        "5f": "L:cnarr S:unicef @+120 >planned",
        "5g": "L:cnarr !silent",
        "5h": "L:cnarr S:unhcr @-15 >in_progress",
        "5i": "S:unhcr",
        "6a": "L:gsf S:unhcr >in_progress",
        "6b": "L:gsf F:ndc >planned",
        "6d": "L:wb S:cnarr >in_progress",
        "6e": "S:unhcr @-20 !silent",
        "6f": "L:wfp I:rcou >in_progress",
        "7a": "L:cnarr S:unhcr >in_progress",
        "7b": "L:cnarr S:unicef I:cfw @+200 >planned",
        "7c": "L:aso S:iar >in_progress",
        "7d": "L:aso F:gsf >planned",
        "8a": "L:wb^4 S:unhcr >planned",
        "12a": "L:unhcr =in_place",
        "13b": "L:unicef S:cfw I:aso >in_progress",
        "13c": "L:iar S:aso >planned",
        "14a": "L:unhcr >in_progress",
    },
    not_applicable={
        "6c": "Chad is a low-income country financed through IDA grants; lending schemes for "
        "middle-income hosts do not apply.",
    },
    review_policy=ReviewPolicy.AUTO_ACCEPT,
    stale_after_days=60,
    opened_days_late=20,
)

COLOMBIA = SituationPlan(
    key="col",
    name="Venezuelan refugees and migrants in Colombia",
    host_country="COL",
    origin_countries=["VEN"],
    start_date=date(2015, 8, 21),
    phase=Phase.STABILISATION,
    description=(
        "Urban and border response; regularisation through temporary protection permits "
        "and inclusion in national services."
    ),
    population=[Figure("OIP", 2_480_000), Figure("ASY", 19_600)],
    population_later=[Figure("OIP", 2_515_000), Figure("ASY", 21_300)],
    items={
        "5a": "L:migcol S:iom S:unhcr I:fpf >in_place",
        "5b": "L:fpf S:rvu S:unhcr >in_progress",
        "5c": "L:iom S:unhcr I:fpf I:hri F:gsf >in_place",
        "5d": "L:migcol S:unhcr =in_progress >in_place",
        "5e": "L:unhcr I:fpf >in_progress",
        "5f": "L:migcol S:unhcr =in_place",
        "5g": "L:migcol",
        "5i": "L:migcol S:unhcr @-190 >in_progress",
        "6a": "L:idb S:wb >in_progress",
        "6c": "L:wb S:idb @-30 >in_progress",
        "6d": "L:idb F:wb >in_place",
        "6f": "L:iom I:fpf >in_place",
        "7b": "L:migcol S:iom I:hri >in_progress",
        "7c": "L:rvu S:fpf >in_progress",
        "7d": "L:fpf F:gsf @-15 >planned",
        "7e": "L:iom S:unhcr >in_place",
        "8a": "L:wb S:idb >in_place",
        "8b": "L:migcol S:wb @+90 >in_progress",
        "8c": "S:idb F:wb",
        "13a": "L:migcol S:unhcr S:iom =in_place",
        "13b": "L:migcol S:aep I:fpf F:idb >in_progress",
        "13c": "L:aep S:rvu >in_progress !quiet",
        "13d": "L:aep S:iom @-40 >planned",
        "14a": "L:iom S:unhcr >in_progress",
        "14c": "S:unhcr",
    },
    opened_days_late=35,
)

SITUATIONS = (UGANDA, KENYA, CHAD, COLOMBIA)
