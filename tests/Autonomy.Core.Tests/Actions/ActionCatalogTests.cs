using System.Collections.Immutable;
using Autonomy.Actions;
using CsCheck;

namespace Autonomy.Tests.Actions;

public class ActionCatalogTests
{
    private static readonly Gen<ActionTypeSpec> AnySpec =
        Gen.Select(Gen.Enum<RiskLevel>(), Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool, (risk, external, allow, revert, builtIn) =>
            new ActionTypeSpec("X", risk, external, allow, revert, builtIn));

    private static readonly Gen<ImmutableDictionary<string, ActionTypeSpec>> TenantTypes =
        Gen.Select(Gen.OneOf<string>(Gen.OneOf([.. ActionCatalog.BuiltIns.Keys]), Gen.Int[0, 5].Select(i => $"TENANT_TYPE_{i}")), AnySpec)
            .Select((type, spec) => spec with { ActionType = type })
            .List[0, 12]
            .Select(specs => specs.GroupBy(s => s.ActionType).ToImmutableDictionary(g => g.Key, g => g.Last()));

    [Fact]
    public void TenantOverrideNeverLoosensABuiltIn() =>
        TenantTypes.Sample(tenant =>
        {
            var effective = ActionCatalog.Effective(tenant);
            foreach (var (type, builtIn) in ActionCatalog.BuiltIns)
            {
                var spec = effective[type];
                Assert.True(spec.RiskLevel >= builtIn.RiskLevel, $"{type}: risk lowered to {spec.RiskLevel}");
                Assert.True(spec.ExternalContact || !builtIn.ExternalContact, $"{type}: external contact removed");
                Assert.True(!spec.AllowListed || builtIn.AllowListed, $"{type}: allow-listing added");
                Assert.True(!spec.Revertible || builtIn.Revertible, $"{type}: claimed revertible");
                Assert.True(spec.BuiltIn);
                Assert.Equal(type, spec.ActionType);
            }
        }, iter: 5_000);

    [Fact]
    public void TenantOverrideTakesEffectWhenStricter() =>
        TenantTypes.Sample(tenant =>
        {
            var effective = ActionCatalog.Effective(tenant);
            foreach (var (type, requested) in tenant.Where(t => ActionCatalog.BuiltIns.ContainsKey(t.Key)))
            {
                Assert.True(effective[type].RiskLevel >= requested.RiskLevel);
                Assert.True(effective[type].ExternalContact || !requested.ExternalContact);
                Assert.True(!effective[type].AllowListed || requested.AllowListed);
            }
        }, iter: 5_000);

    [Fact]
    public void TenantAddedTypesPassThroughAsNotBuiltIn() =>
        TenantTypes.Sample(tenant =>
        {
            var effective = ActionCatalog.Effective(tenant);
            foreach (var (type, spec) in tenant.Where(t => !ActionCatalog.BuiltIns.ContainsKey(t.Key)))
            {
                Assert.Equal(spec with { BuiltIn = false }, effective[type]);
            }

            Assert.Equal(ActionCatalog.BuiltIns.Keys.Union(tenant.Keys).Order(), effective.Keys.Order());
        }, iter: 5_000);

    [Fact]
    public void FindAgreesWithTheEffectiveCatalog() =>
        Gen.Select(TenantTypes, Gen.OneOf([.. ActionCatalog.BuiltIns.Keys, "TENANT_TYPE_0", "TENANT_TYPE_3", "NOT_A_TYPE"])).Sample((tenant, type) =>
            Assert.Equal(ActionCatalog.Effective(tenant).GetValueOrDefault(type), ActionCatalog.Find(tenant, type)), iter: 5_000);

    [Fact]
    public void BuiltInsKeepPrincipleTwo()
    {
        Assert.All(ActionCatalog.BuiltIns.Values.Where(s => s.AllowListed), s =>
        {
            Assert.Equal(RiskLevel.Low, s.RiskLevel);
            Assert.False(s.ExternalContact);
        });
        Assert.False(ActionCatalog.BuiltIns["SEND_EMAIL"].AllowListed);
        Assert.Equal(RiskLevel.High, ActionCatalog.BuiltIns["APPLY_DISCOUNT"].RiskLevel);
    }

    [Theory]
    [InlineData("CREATE_TASK")]
    [InlineData("AB")]
    [InlineData("A1")]
    [InlineData("SEND_EMAIL_V2")]
    [InlineData("X_")]
    public void ValidNamesAreAccepted(string name) => Assert.True(ActionCatalog.IsValidName(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("create_task")]
    [InlineData("Create_Task")]
    [InlineData("_TASK")]
    [InlineData("1TASK")]
    [InlineData("CREATE-TASK")]
    [InlineData("CREATE TASK")]
    [InlineData("CRÉER")]
    public void InvalidNamesAreRejected(string? name) => Assert.False(ActionCatalog.IsValidName(name));

    [Fact]
    public void NamesLongerThanSixtyFourAreRejected()
    {
        Assert.True(ActionCatalog.IsValidName(new string('A', 64)));
        Assert.False(ActionCatalog.IsValidName(new string('A', 65)));
    }
}
