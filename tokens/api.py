"""The dashboard's JSON API for tokens, under /api/tokens/ (session auth + CSRF; the current
account only). Create and rotate answer with the key, once; nothing else ever includes it.

    GET  /api/tokens/               list            POST /api/tokens/             create
    GET  /api/tokens/<id>/          one token       PATCH/PUT /api/tokens/<id>/   edit
    POST /api/tokens/<id>/revoke/   revoke          POST /api/tokens/<id>/rotate/ rotate
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import AccountScopedMixin, current_account
from tokens import access, lifecycle, limits
from tokens.models import ApiToken


class TokenSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="email", read_only=True)
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=500
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=limits.MAX_ALLOWED_IPS,
    )
    spend_limit_micros = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=limits.MIN_SPEND_LIMIT_MICROS,
        max_value=limits.MAX_SPEND_LIMIT_MICROS,
    )
    rpm_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=limits.MAX_RPM
    )
    max_concurrency = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=limits.MAX_CONCURRENCY
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "note",
            "prefix",
            "status",
            "created_at",
            "created_by",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "rotated_at",
            "previous_prefix",
            "previous_valid_until",
            "allowed_models",
            "spend_limit_micros",
            "spent_micros",
            "rpm_limit",
            "max_concurrency",
            "allowed_ips",
        ]
        read_only_fields = [
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
            "rotated_at",
            "previous_prefix",
            "previous_valid_until",
            "spent_micros",
        ]

    def get_status(self, token: ApiToken) -> str:
        return token.status_at(timezone.now()).value

    def validate_name(self, value: str) -> str:
        return limits.clean_name(value)

    def validate_expires_at(self, value):
        if self.instance is not None and value == self.instance.expires_at:
            return value
        return limits.clean_expiry(value, timezone.now())

    def validate_allowed_models(self, value: list[str]) -> list[str]:
        return limits.clean_models(value, self.context["available_models"])

    def validate_allowed_ips(self, value: list[str]) -> list[str]:
        return limits.clean_networks(value)


class NewKeySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The full key. It is shown only in this response.")
    token = TokenSerializer()


class RotateSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=limits.MAX_GRACE_SECONDS,
        default=0,
        help_text="How long the current key keeps working (0: revoked at once; at most a day).",
    )


class TokenList(AccountScopedMixin, generics.ListCreateAPIView):
    queryset = ApiToken.objects.select_related("created_by")
    serializer_class = TokenSerializer

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.request is not None and self.request.method == "POST":
            account = current_account(self.request)
            context["available_models"] = [m for m, _ in access.model_choices(account)]
        return context

    @extend_schema(responses={201: NewKeySerializer})
    def post(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = lifecycle.create_token(
            current_account(request), request.user, **serializer.validated_data
        )
        body = NewKeySerializer({"key": key, "token": token}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetail(AccountScopedMixin, generics.RetrieveUpdateAPIView):
    queryset = ApiToken.objects.select_related("created_by")
    serializer_class = TokenSerializer

    def get_object(self) -> ApiToken:
        if self.request.method in {"PUT", "PATCH"}:
            return access.get_manageable_token_or_404(self.request, self.kwargs["pk"])
        return access.get_token_or_404(self.request, self.kwargs["pk"])

    def get_serializer(self, instance=None, *args, **kwargs):
        serializer = super().get_serializer(instance, *args, **kwargs)
        if isinstance(instance, ApiToken):
            # Models no longer enabled stay choosable, so an edit never drops them silently.
            choices = access.model_choices(instance.account, keep=instance.allowed_models)
            serializer.context["available_models"] = [m for m, _ in choices]
        return serializer

    def perform_update(self, serializer) -> None:
        try:
            serializer.instance = lifecycle.update_token(
                serializer.instance, **serializer.validated_data
            )
        except lifecycle.TokenStateError as exc:
            raise Conflict(str(exc)) from None


class TokenRevoke(APIView):
    @extend_schema(request=None, responses={200: TokenSerializer})
    def post(self, request, pk: int) -> Response:
        token = lifecycle.revoke_token(access.get_manageable_token_or_404(request, pk))
        return Response(TokenSerializer(token).data)


class TokenRotate(APIView):
    @extend_schema(request=RotateSerializer, responses={200: NewKeySerializer})
    def post(self, request, pk: int) -> Response:
        token = access.get_manageable_token_or_404(request, pk)
        serializer = RotateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, key = lifecycle.rotate_token(token, serializer.validated_data["grace_seconds"])
        except lifecycle.TokenStateError as exc:
            raise Conflict(str(exc)) from None
        return Response(NewKeySerializer({"key": key, "token": token}).data)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The token cannot do that in its current state."
    default_code = "conflict"


urlpatterns = [
    path("", TokenList.as_view(), name="tokens-api-list"),
    path("<int:pk>/", TokenDetail.as_view(), name="tokens-api-detail"),
    path("<int:pk>/revoke/", TokenRevoke.as_view(), name="tokens-api-revoke"),
    path("<int:pk>/rotate/", TokenRotate.as_view(), name="tokens-api-rotate"),
]
