from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from shanzhi.common.coords import CRS_CHOICES

from .models import Incident, IncidentClass


class ReportForm(forms.Form):
    subclass = forms.ModelChoiceField(
        label=_("事件分类"), required=False, empty_label=_("（按描述自动推荐）"),
        queryset=IncidentClass.objects.filter(parent__isnull=False, is_active=True).select_related("parent"))
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.ChoiceField(choices=CRS_CHOICES, initial="wgs84", widget=forms.HiddenInput)
    address_text = forms.CharField(label=_("位置描述"), required=False, max_length=200, widget=forms.TextInput(attrs={
        # Address picker: standard addresses matching what is typed (geo:address_search).
        "hx-get": reverse_lazy("geo:address_search"), "hx-trigger": "input changed delay:300ms",
        "hx-target": "#addr-options", "autocomplete": "off"}))
    source = forms.ChoiceField(label=_("来源"), choices=Incident.Source.choices, initial=Incident.Source.PATROL)
    reporter_name = forms.CharField(label=_("反映人"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("反映人手机"), required=False, max_length=20)

    def __init__(self, *args, center=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subclass"].label_from_instance = lambda c: f"{c.parent.name} · {c.name}"
        if not center:
            # Grid staff report what they see on patrol, as themselves; the center also takes calls,
            # petitions and assignments on behalf of the people who reported them.
            self.fields["source"].choices = [(Incident.Source.PATROL, Incident.Source.PATROL.label)]
            self.fields["source"].widget = forms.HiddenInput()
            del self.fields["reporter_name"]
            del self.fields["reporter_phone"]
