"""Name, street and e-mail reference lists (invented combinations of common US names)."""

from __future__ import annotations

import numpy as np


def _words(text: str) -> np.ndarray:
    return np.array(text.split())


FEMALE_FIRST = _words(
    """Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
    Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah
    Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma
    Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather
    Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith
    Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn
    Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle Beverly
    Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Sofia Camila
    Valentina Lucía Ximena Mei Priya Aaliyah Siobhan Chloe"""
)

MALE_FIRST = _words(
    """James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel
    Matthew Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian George Timothy
    Ronald Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin
    Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry
    Tyler Aaron José Adam Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Walter
    Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan
    Jesse Bryan Billy Bruce Gabriel Joe Logan Alan Juan Albert Willie Elijah Wayne Randy Vincent
    Mason Roy Ralph Bobby Russell Bradley Philip Eugene Luis Carlos Miguel Rafael Wei Raj Liam
    Declan Mateo"""
)

LAST = _words(
    """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
    Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
    Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
    Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
    Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
    Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
    Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan
    Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
    Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
    Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
    Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker
    Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
    Dixon Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox
    Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
    Gardner Payne Grant Dunn O'Brien O'Connor McCarthy Doherty Fitzgerald Sousa Pereira Costa
    Nowak Kowalski Rossi Russo Cohen Levine Shapiro Nakamura Tanaka Singh Shah Ali Khan Park
    Choi Pham Le Wong Liu Zhang"""
)

NICKNAMES = dict(
    pair.split("=")
    for pair in _words(
        """Robert=Bob William=Bill Elizabeth=Liz Richard=Rick James=Jim Michael=Mike Katherine=Kate
    Margaret=Peggy Jennifer=Jen Thomas=Tom Joseph=Joe Christopher=Chris Daniel=Dan Matthew=Matt
    Anthony=Tony Steven=Steve Andrew=Andy Joshua=Josh Patricia=Pat Susan=Sue Deborah=Deb
    Rebecca=Becky Alexander=Alex Benjamin=Ben Samuel=Sam Nicholas=Nick Jonathan=Jon Edward=Ed
    Kimberly=Kim Jessica=Jess Victoria=Vicky Charles=Charlie Catherine=Cathy Barbara=Barb
    Jacqueline=Jackie Timothy=Tim Gregory=Greg Ronald=Ron Donald=Don Kenneth=Ken Lawrence=Larry
    Samantha=Sam Abigail=Abby Kathleen=Kathy Cynthia=Cindy Christine=Chris Stephanie=Steph
    Gerald=Jerry Raymond=Ray Douglas=Doug Zachary=Zach Frances=Fran Judith=Judy Theresa=Terry
    Pamela=Pam Jeffrey=Jeff Bradley=Brad Philip=Phil Eugene=Gene Dorothy=Dot"""
    )
)

STREETS = _words(
    """Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Spring North Ridge Church
    Willow Mill Sunset Railroad Jackson Cherry Highland Franklin Jefferson Lincoln Madison Adams
    Meadow River Forest Chestnut Summit Center Prospect Union Grove Bridge Harbor Beacon School
    Water Broad Academy Pleasant Liberty Orchard Hickory Birch Dogwood Laurel Magnolia Poplar
    Sycamore Valley Woodland Bay Shore Commonwealth Tremont Atlantic Pacific Colonial Heritage"""
)

STREET_SUFFIXES = np.array(["St", "Street", "Ave", "Avenue", "Rd", "Road", "Dr", "Ln", "Way", "Ct"])

STREET_SUFFIX_WEIGHTS = np.array([22, 8, 18, 6, 14, 5, 12, 7, 5, 3], dtype=float)


EMAIL_DOMAINS = np.array(
    [
        np.str_("gmail.com"),
        np.str_("yahoo.com"),
        np.str_("outlook.com"),
        np.str_("hotmail.com"),
        np.str_("aol.com"),
        np.str_("icloud.com"),
        np.str_("comcast.net"),
        np.str_("verizon.net"),
        np.str_("msn.com"),
        np.str_("protonmail.com"),
    ]
)

EMAIL_DOMAIN_WEIGHTS = np.array([40, 15, 10, 8, 5, 8, 5, 3, 4, 2], dtype=float)
