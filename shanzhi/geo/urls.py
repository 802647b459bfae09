from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
    path("towns.geojson", views.towns_geojson, name="towns_geojson"),
    path("grids/<int:pk>/card/", views.grid_card, name="grid_card"),
    path("grids/here/", views.grid_here, name="grid_here"),
    path("coverage/", views.coverage, name="coverage"),
    path("addresses/search/", views.address_search, name="address_search"),
]
