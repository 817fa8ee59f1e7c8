"""The supervision ledger (督办台账): models, service, reports. The CLI and the app call only ``service``."""
