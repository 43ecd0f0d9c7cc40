"""Demo systems (Tryton ERP, BottleCRM) installed from the package registries and run locally."""
