namespace LocalMesh.Kubernetes.Tests;

public sealed class KubernetesNamesTests
{
    [Theory]
    [InlineData("app", true)]
    [InlineData("version", true)]
    [InlineData("app.kubernetes.io/name", true)]
    [InlineData("Team_Name.1", true)]
    [InlineData("-app", false)]
    [InlineData("app-", false)]
    [InlineData("", false)]
    [InlineData("Example.com/app", false)]
    [InlineData("example.com/", false)]
    [InlineData("a b", false)]
    public void LabelKeys(string key, bool valid) => Assert.Equal(valid, KubernetesNames.IsValidLabelKey(key));

    [Theory]
    [InlineData("v1", true)]
    [InlineData("", true)]
    [InlineData("1.2.3-rc_1", true)]
    [InlineData("v 1", false)]
    [InlineData("_v1", false)]
    public void LabelValues(string value, bool valid) => Assert.Equal(valid, KubernetesNames.IsValidLabelValue(value));

    [Fact]
    public void ALabelPartLongerThan63CharactersIsInvalid()
    {
        Assert.True(KubernetesNames.IsValidLabelValue(new string('a', 63)));
        Assert.False(KubernetesNames.IsValidLabelValue(new string('a', 64)));
        Assert.False(KubernetesNames.IsValidLabelKey(new string('a', 64)));
    }
}
