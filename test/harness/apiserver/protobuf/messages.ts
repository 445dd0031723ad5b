/**
 * The protobuf messages of the built-in kinds the harness decodes, with Kubernetes' field numbers (k8s.io/api and
 * k8s.io/apimachinery `generated.proto`, v1.32). protobuf.test.ts checks every entry against the descriptors compiled
 * into /usr/bin/kubectl, so a wrong number cannot hide here.
 *
 * Syntax: `jsonName=number:type`, `[]` repeated, `*` a pointer in the Go type (a zero value sent on the wire is kept;
 * other zero values are what gogo-protobuf sends for absent non-pointer fields, and are dropped as JSON's omitempty
 * would). Types: string int64 int32 bool bytes, `map<string,T>`, or a message name below.
 */
export const MESSAGES: Record<string, string> = {
  // k8s.io/apimachinery
  'meta.v1.ObjectMeta':
    'name=1:string generateName=2:string namespace=3:string selfLink=4:string uid=5:string resourceVersion=6:string ' +
    'generation=7:int64 creationTimestamp=8:meta.v1.Time deletionTimestamp=9:meta.v1.Time deletionGracePeriodSeconds=10:int64* ' +
    'labels=11:map<string,string> annotations=12:map<string,string> ownerReferences=13[]:meta.v1.OwnerReference ' +
    'finalizers=14[]:string managedFields=17[]:meta.v1.ManagedFieldsEntry',
  'meta.v1.OwnerReference': 'apiVersion=5:string kind=1:string name=3:string uid=4:string controller=6:bool* blockOwnerDeletion=7:bool*',
  'meta.v1.ManagedFieldsEntry':
    'manager=1:string operation=2:string apiVersion=3:string time=4:meta.v1.Time fieldsType=6:string fieldsV1=7:meta.v1.FieldsV1 subresource=8:string',
  'meta.v1.Condition':
    'type=1:string status=2:string observedGeneration=3:int64 lastTransitionTime=4:meta.v1.Time reason=5:string message=6:string',
  'meta.v1.LabelSelector': 'matchLabels=1:map<string,string> matchExpressions=2[]:meta.v1.LabelSelectorRequirement',
  'meta.v1.LabelSelectorRequirement': 'key=1:string operator=2:string values=3[]:string',
  'meta.v1.FieldSelectorRequirement': 'key=1:string operator=2:string values=3[]:string',
  // core/v1
  'core.v1.Namespace': 'metadata=1:meta.v1.ObjectMeta spec=2:core.v1.NamespaceSpec status=3:core.v1.NamespaceStatus',
  'core.v1.NamespaceSpec': 'finalizers=1[]:string',
  'core.v1.NamespaceStatus': 'phase=1:string conditions=2[]:core.v1.NamespaceCondition',
  'core.v1.NamespaceCondition': 'type=1:string status=2:string lastTransitionTime=4:meta.v1.Time reason=5:string message=6:string',
  'core.v1.ConfigMap': 'metadata=1:meta.v1.ObjectMeta immutable=4:bool* data=2:map<string,string> binaryData=3:map<string,bytes>',
  'core.v1.Secret':
    'metadata=1:meta.v1.ObjectMeta immutable=5:bool* data=2:map<string,bytes> stringData=4:map<string,string> type=3:string',
  'core.v1.Service': 'metadata=1:meta.v1.ObjectMeta spec=2:core.v1.ServiceSpec status=3:core.v1.ServiceStatus',
  'core.v1.ServiceSpec':
    'ports=1[]:core.v1.ServicePort selector=2:map<string,string> clusterIP=3:string clusterIPs=18[]:string type=4:string ' +
    'externalIPs=5[]:string sessionAffinity=7:string loadBalancerIP=8:string loadBalancerSourceRanges=9[]:string ' +
    'externalName=10:string externalTrafficPolicy=11:string healthCheckNodePort=12:int32 publishNotReadyAddresses=13:bool ' +
    'sessionAffinityConfig=14:core.v1.SessionAffinityConfig ipFamilies=19[]:string ipFamilyPolicy=17:string* ' +
    'allocateLoadBalancerNodePorts=20:bool* loadBalancerClass=21:string* internalTrafficPolicy=22:string* trafficDistribution=23:string*',
  'core.v1.ServicePort': 'name=1:string protocol=2:string appProtocol=6:string* port=3:int32 targetPort=4:intstr.IntOrString nodePort=5:int32',
  'core.v1.SessionAffinityConfig': 'clientIP=1:core.v1.ClientIPConfig',
  'core.v1.ClientIPConfig': 'timeoutSeconds=1:int32*',
  'core.v1.ServiceStatus': 'loadBalancer=1:core.v1.LoadBalancerStatus conditions=2[]:meta.v1.Condition',
  'core.v1.LoadBalancerStatus': 'ingress=1[]:core.v1.LoadBalancerIngress',
  'core.v1.LoadBalancerIngress': 'ip=1:string hostname=2:string ipMode=3:string* ports=4[]:core.v1.PortStatus',
  'core.v1.PortStatus': 'port=1:int32 protocol=2:string error=3:string*',
  'core.v1.ServiceAccount':
    'metadata=1:meta.v1.ObjectMeta secrets=2[]:core.v1.ObjectReference imagePullSecrets=3[]:core.v1.LocalObjectReference automountServiceAccountToken=4:bool*',
  'core.v1.ObjectReference':
    'kind=1:string namespace=2:string name=3:string uid=4:string apiVersion=5:string resourceVersion=6:string fieldPath=7:string',
  'core.v1.LocalObjectReference': 'name=1:string',
  // rbac.authorization.k8s.io/v1
  'rbac.v1.Role': 'metadata=1:meta.v1.ObjectMeta rules=2[]:rbac.v1.PolicyRule',
  'rbac.v1.ClusterRole': 'metadata=1:meta.v1.ObjectMeta rules=2[]:rbac.v1.PolicyRule aggregationRule=3:rbac.v1.AggregationRule',
  'rbac.v1.PolicyRule': 'verbs=1[]:string apiGroups=2[]:string resources=3[]:string resourceNames=4[]:string nonResourceURLs=5[]:string',
  'rbac.v1.AggregationRule': 'clusterRoleSelectors=1[]:meta.v1.LabelSelector',
  'rbac.v1.RoleBinding': 'metadata=1:meta.v1.ObjectMeta subjects=2[]:rbac.v1.Subject roleRef=3:rbac.v1.RoleRef',
  'rbac.v1.ClusterRoleBinding': 'metadata=1:meta.v1.ObjectMeta subjects=2[]:rbac.v1.Subject roleRef=3:rbac.v1.RoleRef',
  'rbac.v1.Subject': 'kind=1:string apiGroup=2:string name=3:string namespace=4:string',
  'rbac.v1.RoleRef': 'apiGroup=1:string kind=2:string name=3:string',
  // authorization.k8s.io/v1
  'authorization.v1.SelfSubjectAccessReview':
    'metadata=1:meta.v1.ObjectMeta spec=2:authorization.v1.SelfSubjectAccessReviewSpec status=3:authorization.v1.SubjectAccessReviewStatus',
  'authorization.v1.SelfSubjectAccessReviewSpec':
    'resourceAttributes=1:authorization.v1.ResourceAttributes nonResourceAttributes=2:authorization.v1.NonResourceAttributes',
  'authorization.v1.SubjectAccessReview':
    'metadata=1:meta.v1.ObjectMeta spec=2:authorization.v1.SubjectAccessReviewSpec status=3:authorization.v1.SubjectAccessReviewStatus',
  'authorization.v1.SubjectAccessReviewSpec':
    'resourceAttributes=1:authorization.v1.ResourceAttributes nonResourceAttributes=2:authorization.v1.NonResourceAttributes ' +
    'user=3:string groups=4[]:string extra=5:map<string,authorization.v1.ExtraValue> uid=6:string',
  'authorization.v1.ExtraValue': 'items=1[]:string',
  'authorization.v1.ResourceAttributes':
    'namespace=1:string verb=2:string group=3:string version=4:string resource=5:string subresource=6:string name=7:string ' +
    'fieldSelector=8:authorization.v1.FieldSelectorAttributes labelSelector=9:authorization.v1.LabelSelectorAttributes',
  'authorization.v1.FieldSelectorAttributes': 'rawSelector=1:string requirements=2[]:meta.v1.FieldSelectorRequirement',
  'authorization.v1.LabelSelectorAttributes': 'rawSelector=1:string requirements=2[]:meta.v1.LabelSelectorRequirement',
  'authorization.v1.NonResourceAttributes': 'path=1:string verb=2:string',
  'authorization.v1.SubjectAccessReviewStatus': 'allowed=1:bool denied=4:bool reason=2:string evaluationError=3:string',
  'authorization.v1.SelfSubjectRulesReview':
    'metadata=1:meta.v1.ObjectMeta spec=2:authorization.v1.SelfSubjectRulesReviewSpec status=3:authorization.v1.SubjectRulesReviewStatus',
  'authorization.v1.SelfSubjectRulesReviewSpec': 'namespace=1:string',
  'authorization.v1.SubjectRulesReviewStatus':
    'resourceRules=1[]:authorization.v1.ResourceRule nonResourceRules=2[]:authorization.v1.NonResourceRule incomplete=3:bool evaluationError=4:string',
  'authorization.v1.ResourceRule': 'verbs=1[]:string apiGroups=2[]:string resources=3[]:string resourceNames=4[]:string',
  'authorization.v1.NonResourceRule': 'verbs=1[]:string nonResourceURLs=2[]:string',
  // authentication.k8s.io/v1
  'authentication.v1.TokenReview':
    'metadata=1:meta.v1.ObjectMeta spec=2:authentication.v1.TokenReviewSpec status=3:authentication.v1.TokenReviewStatus',
  'authentication.v1.TokenReviewSpec': 'token=1:string audiences=2[]:string',
  'authentication.v1.TokenReviewStatus':
    'authenticated=1:bool user=2:authentication.v1.UserInfo audiences=4[]:string error=3:string',
  'authentication.v1.UserInfo': 'username=1:string uid=2:string groups=3[]:string extra=4:map<string,authentication.v1.ExtraValue>',
  'authentication.v1.ExtraValue': 'items=1[]:string',
  'authentication.v1.TokenRequest':
    'metadata=1:meta.v1.ObjectMeta spec=2:authentication.v1.TokenRequestSpec status=3:authentication.v1.TokenRequestStatus',
  'authentication.v1.TokenRequestSpec':
    'audiences=1[]:string expirationSeconds=4:int64* boundObjectRef=3:authentication.v1.BoundObjectReference',
  'authentication.v1.BoundObjectReference': 'kind=1:string apiVersion=2:string name=3:string uid=4:string',
  'authentication.v1.TokenRequestStatus': 'token=1:string expirationTimestamp=2:meta.v1.Time',
  'authentication.v1.SelfSubjectReview': 'metadata=1:meta.v1.ObjectMeta status=2:authentication.v1.SelfSubjectReviewStatus',
  'authentication.v1.SelfSubjectReviewStatus': 'userInfo=1:authentication.v1.UserInfo',
}

/** Top-level kinds: `apiVersion kind` → message. */
export const KINDS: Record<string, string> = {
  'v1 Namespace': 'core.v1.Namespace',
  'v1 ConfigMap': 'core.v1.ConfigMap',
  'v1 Secret': 'core.v1.Secret',
  'v1 Service': 'core.v1.Service',
  'v1 ServiceAccount': 'core.v1.ServiceAccount',
  'rbac.authorization.k8s.io/v1 Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1 ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1 RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'authorization.k8s.io/v1 SelfSubjectAccessReview': 'authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1 SubjectAccessReview': 'authorization.v1.SubjectAccessReview',
  'authorization.k8s.io/v1 SelfSubjectRulesReview': 'authorization.v1.SelfSubjectRulesReview',
  'authentication.k8s.io/v1 TokenReview': 'authentication.v1.TokenReview',
  'authentication.k8s.io/v1 TokenRequest': 'authentication.v1.TokenRequest',
  'authentication.k8s.io/v1 SelfSubjectReview': 'authentication.v1.SelfSubjectReview',
}

/** Messages with a JSON form of their own (not an object of their fields). */
export const SPECIAL = new Set(['meta.v1.Time', 'meta.v1.FieldsV1', 'intstr.IntOrString'])
