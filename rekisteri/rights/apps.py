from django.apps import AppConfig


class RightsConfig(AppConfig):
    """Data-subject rights (section 8): the request register, deadlines and fulfilment."""

    name = "rekisteri.rights"
    label = "rights"
    verbose_name = "Data-subject rights"
