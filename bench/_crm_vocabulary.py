"""Word lists of the CRM-like benchmark data (:mod:`bench._crm_data`): first and family names,
streets, towns with their postcodes, phone prefixes, legal forms and company names of DE, AT,
CH, NO, DK, SE and GB, and the two ways special letters get transliterated."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _places(text: str) -> list[tuple[str, str]]:
    """ "Berlin=10115, Hamburg=20095" -> [("Berlin", "10115"), ("Hamburg", "20095")]."""
    return [(city, postcode) for city, postcode in (p.split("=") for p in text.split(", "))]


GIVEN = {
    "DE": "Hans Jürgen Günter Jörg Uwe Klaus Stefan Michael Thomas Andreas Sören Björn Lukas "
    "Maximilian Jonas Felix Paul Tobias Sebastian Matthias Anna Jülia Sophie Lena Käthe Ursula "
    "Monika Petra Sabine Claudia Birgit Franziska Katharina Lea Marie Hannah Lisa Jana Ines Doris",
    "AT": "Florian Lukas Johann Franz Josef Leopold Wolfgang Günther Herbert Gerhard Manfred "
    "Alois Theresa Maria Elisabeth Katharina Magdalena Rosemarie Anneliese Brigitte Johanna "
    "Veronika Barbara Gertrude Agnes Valentina Hemma Sieglinde Dominik Raphael",
    "CH": "Beat Urs Reto Res Ueli Jürg Andri Gian Luca Noah Elias Matthias Daniel Marco Fabian "
    "Regula Vreni Verena Ursina Seraina Nadia Corinne Daniela Priska Esther Yvonne Mirjam "
    "Fränzi Annina Chiara",
    "NO": "Ole Lars Per Bjørn Håkon Øyvind Jørgen Trond Geir Knut Sindre Magnus Eirik Aksel "
    "Espen Ståle Kåre Anne Ingrid Kari Solveig Åse Marit Sigrid Ragnhild Tone Grethe Hege "
    "Siri Ingvild Maren Astrid",
    "DK": "Søren Jens Niels Poul Mads Rasmus Anders Frederik Mikkel Kasper Jesper Henrik "
    "Morten Bent Jørn Kirsten Mette Hanne Lone Pernille Birthe Bodil Dorthe Sørine Ida Freja "
    "Karen Signe Ditte Lærke",
    "SE": "Anders Björn Erik Gustav Göran Håkan Lars Mats Nils Olof Per Stig Åke Sven Ulf "
    "Johan Oskar Karin Åsa Birgitta Ebba Elin Ingela Kerstin Linnéa Märta Sofia Ylva Agneta "
    "Malin",
    "GB": "James John Robert David William Richard Thomas Christopher Daniel Matthew George "
    "Harry Oliver Jack Charlie Mary Sarah Emma Olivia Sophie Emily Charlotte Jessica Lucy "
    "Hannah Amelia Grace Chloe Rebecca Eleanor",
}
FAMILY = {
    "DE": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
    "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
    "Hartmann Lange Schmitt Werner Krause Meier Lehmann Schmid Köhler Maier Förster Größer "
    "Jäger Böhm Vogt Kühn Strauß",
    "AT": "Gruber Huber Bauer Wagner Müller Pichler Steiner Moser Mayer Hofer Leitner Berger "
    "Fuchs Eder Fischer Schmid Winkler Weber Schwarz Maier Schneider Reiter Mayr Schmidt "
    "Wimmer Egger Brunner Lang Baumgartner Auer Binder Lechner Wolf Wallner Aigner Ebner "
    "Koller Lehner Haas Schütz",
    "CH": "Müller Meier Schmid Keller Weber Huber Schneider Meyer Steiner Fischer Gerber "
    "Brunner Baumann Frei Zimmermann Moser Widmer Wyss Graf Roth Baumgartner Studer Kälin "
    "Bühler Zürcher Lüthi Häberli Rüegg Märki Nägeli Bösch Stäheli Hürlimann Odermatt "
    "Zbinden Aebischer Tschopp Stucki Jäggi",
    "NO": "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Løken "
    "Sæther Holm Ødegård Aasen Bråten",
    "DK": "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
    "Jørgensen Petersen Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen "
    "Møller Mortensen Knudsen Jakobsen Mikkelsen Olesen Frederiksen Laursen Henriksen Lund "
    "Schmidt Holm Kjær Bech Dahl Østergaard Søndergaard Bæk Fogh Skov Brøndum Krogh",
    "SE": "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson "
    "Magnusson Olofsson Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg "
    "Lundgren Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg "
    "Wallin Engström Ångström Öberg Åberg Söderberg",
    "GB": "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke "
    "Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker "
    "Harrison Morgan Allen",
}


STREET_BASE = _words(
    "Haupt Bahnhof Schul Kirch Garten Berg Wald Linden Birken Eichen Mühlen Rosen Sonnen Feld "
    "Wiesen Dorf Markt Post Brunnen Schiller Goethe Mozart Kaiser König Friedrich Tannen "
    "Ahorn Buchen Hafen"
)
STREET_BASE_NORDIC = _words(
    "Stor Kirke Skole Møller Strand Skov Å Sø Bjerg Kongens Dronning Nørre Søndre Vester "
    "Øster Prinsens Lille Ny Gammel Fjord Havne Bakke Eng Lund Mølle Hav Sol Birke Ege Rose"
)
STREET_BASE_GB = _words(
    "High Church Station Park Mill Victoria London Manor Green Queen Kings New Grange School "
    "North South West East Chapel Bridge Castle Springfield Windsor York Albert Richmond "
    "Cedar Elm Oak"
)
STREET_TYPES = {
    "DE": (("straße", ("str.", "strasse", "Str.")), ("weg", ()), ("allee", ())),
    "AT": (("gasse", ("g.", "Gasse")), ("straße", ("str.", "strasse")), ("platz", ("pl.",))),
    "CH": (("strasse", ("str.",)), ("weg", ()), ("gasse", ("g.",))),
    "NO": (("gata", ("gt.", "gate")), ("veien", ("vn.",)), ("gate", ("gt.",))),
    "DK": (("vej", ("vej.",)), ("gade", ("g.",)), ("allé", ("alle",))),
    "SE": (("gatan", ("g.",)), ("vägen", ("v.",)), ("gränd", ())),
    "GB": ((" Road", (" Rd", " Rd.")), (" Street", (" St", " St.")), (" Lane", (" Ln",))),
}
CITIES = {
    "DE": _places(
        "Berlin=10115, Hamburg=20095, München=80331, Köln=50667, Frankfurt am Main=60311, "
        "Stuttgart=70173, Düsseldorf=40213, Leipzig=04109, Dortmund=44135, Essen=45127, "
        "Bremen=28195, Dresden=01067, Hannover=30159, Nürnberg=90402, Lübeck=23552"
    ),
    "AT": _places(
        "Wien=1010, Graz=8010, Linz=4020, Salzburg=5020, Innsbruck=6020, Klagenfurt=9020, "
        "Villach=9500, Wels=4600, St. Pölten=3100, Dornbirn=6850"
    ),
    "CH": _places(
        "Zürich=8001, Genève=1201, Basel=4051, Bern=3011, Lausanne=1003, Winterthur=8400, "
        "Luzern=6003, St. Gallen=9000, Lugano=6900, Biel/Bienne=2502"
    ),
    "NO": _places(
        "Oslo=0150, Bergen=5003, Trondheim=7011, Stavanger=4006, Drammen=3015, "
        "Fredrikstad=1606, Kristiansand=4610, Tromsø=9008, Sandnes=4306, Ålesund=6002, "
        "Bodø=8006"
    ),
    "DK": _places(
        "København=1050, Aarhus=8000, Odense=5000, Aalborg=9000, Esbjerg=6700, "
        "Randers=8900, Kolding=6000, Horsens=8700, Vejle=7100, Roskilde=4000, "
        "Næstved=4700"
    ),
    "SE": _places(
        "Stockholm=111 20, Göteborg=411 01, Malmö=211 20, Uppsala=753 20, Västerås=721 30, "
        "Örebro=702 10, Linköping=582 20, Helsingborg=252 20, Jönköping=553 20, "
        "Norrköping=602 20, Umeå=903 25"
    ),
    "GB": _places(
        "London=SW1A 1AA, Manchester=M1 1AE, Birmingham=B1 1AA, Leeds=LS1 1UR, "
        "Glasgow=G1 1XQ, Liverpool=L1 8JQ, Bristol=BS1 4ST, Sheffield=S1 2HE, "
        "Edinburgh=EH1 1YZ, Cardiff=CF10 1EP, Leicester=LE1 1WB"
    ),
}
CALLING = {"DE": "49", "AT": "43", "CH": "41", "NO": "47", "DK": "45", "SE": "46", "GB": "44"}
TRUNK = {"DE": "0", "AT": "0", "CH": "0", "NO": "", "DK": "", "SE": "0", "GB": "0"}
LEGAL = {
    "DE": (
        ("GmbH", ("G.m.b.H.", "gmbh", "")),
        ("AG", ("", "A.G.")),
        ("GmbH & Co. KG", ("GmbH u. Co. KG", "GmbH & Co KG")),
    ),
    "AT": (("GmbH", ("Ges.m.b.H.", "")), ("KG", ("",)), ("e.U.", ("",))),
    "CH": (("AG", ("",)), ("GmbH", ("",)), ("SA", ("",))),
    "NO": (("AS", ("A/S", "as", "")), ("ASA", ("",)), ("ENK", ("",))),
    "DK": (("ApS", ("aps", "")), ("A/S", ("AS", "a/s", "")), ("I/S", ("",))),
    "SE": (("AB", ("ab", "")), ("HB", ("",)), ("AB (publ)", ("AB",))),
    "GB": (("Ltd", ("Limited", "Ltd.", "")), ("plc", ("PLC", "")), ("LLP", ("",))),
}
COMPANY_WORDS = _words(
    "Nord Süd Alpen Fjord Nordic Baltic Vesta Polar Aurora Kristall Falken Adler Löwen Delta "
    "Orion Atlas Vega Hansa Viking Saga Norden Zenit Meridian Lotus Merkur Triton Granit "
    "Birke Eiche Wiking Kronen Stern Blitz Sonne Mond Horizont Vital Optima Prima"
)
COMPANY_TRADES = _words(
    "Bau Logistik Holding Technik Elektro Consulting Handel Immobilien Transport Software "
    "Maschinenbau Reinigung Gastro Druck Medien Energi Bygg Rør Data Sikkerhet Service "
    "Montage Design Werkzeug Stahl Holz Glas Textil Optik Pharma"
)
MAIL_PROVIDERS = ("gmail.com", "gmx.de", "online.no", "outlook.com", "telia.se", "live.dk")
TRANSLITERATIONS = (
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "é": "e",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "Æ": "Ae",
        "Ø": "Oe",
        "Å": "Aa",
    },
    {
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "ß": "ss",
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "é": "e",
        "Ä": "A",
        "Ö": "O",
        "Ü": "U",
        "Æ": "Ae",
        "Ø": "O",
        "Å": "A",
    },
)
