"""The document types the parser assigns, and each one's display word."""

DOC_TYPES = ("protokoll", "kallelse", "möte", "beslut", "plan", "rapport", "tjänsteskrivelse", "handling",
             "anteckningar", "övrigt")

# a document type's display word (a composed title starts with it; a header line that is one is no unit)
TYPE_WORDS = {"protokoll": "Protokoll", "kallelse": "Kallelse", "möte": "Möte", "beslut": "Protokollsutdrag",
               "anteckningar": "Sammanträdesanteckningar", "plan": "Plan", "rapport": "Rapport",
               "tjänsteskrivelse": "Tjänsteskrivelse", "handling": "Handling", "övrigt": "Dokument"}
