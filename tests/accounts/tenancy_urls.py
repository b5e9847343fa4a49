"""A throwaway URLconf that exercises accounts.access the way every real view does.

Membership rows belong to an account, so they stand in for "a tenant-owned object" here.
"""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework import generics, serializers

from accounts.access import AccountScopedMixin, get_scoped_or_404
from accounts.models import Membership


def membership_view(request, pk: int):
    membership = get_scoped_or_404(request, Membership, pk=pk)
    return JsonResponse({"id": membership.pk, "user": membership.user.email})


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "role"]


class MembershipList(AccountScopedMixin, generics.ListAPIView):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer


class MembershipDetail(AccountScopedMixin, generics.RetrieveAPIView):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer


urlpatterns = [
    path("memberships/<int:pk>/", membership_view),
    path("api/memberships/", MembershipList.as_view()),
    path("api/memberships/<int:pk>/", MembershipDetail.as_view()),
    path("", include("config.urls")),
]
