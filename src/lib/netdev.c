/* linux.netDevices over rtnetlink, with libmnl for the framing and attribute walking. See
 * netdev.h. For each device, in this order:
 *   1. find it in the runtime's namespace, and check that its name in the container is free
 *      there: the kernel moves a device first and renames it after, so a clash would fail with
 *      the device already gone from the host
 *   2. note its permanent addresses of global scope (the kernel drops every address of a device
 *      that changes namespace), then set it down, so nothing on the host uses it mid-move
 *   3. one RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME: moved and renamed together, so the
 *      new name never needs to be free on the host
 *   4. in the container's namespace: the addresses added back, then the device set up.
 * The socket for the container's namespace is made in it: the thread enters the namespace for
 * the socket() call only, since a netlink socket talks to the namespace it was created in. */
#include "lib/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/fd-util.h"
#include "basic/macro.h"

#define REQ_SIZE 8192
#define RECV_SIZE 32768

typedef struct nl {
        struct mnl_socket *sock;
        unsigned seq;
} nl;

static void nl_done(nl *n)
{
        if (n->sock)
                mnl_socket_close(n->sock);
        n->sock = NULL;
}

/* A route netlink socket in the network namespace at netns_fd, or in ours for -EBADF. */
static int nl_open(int netns_fd, nl *ret, rq_error **reterr)
{
        _cleanup_close_ int self = -EBADF;
        if (netns_fd >= 0) {
                self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
                if (self < 0)
                        return rq_error_set(reterr, errno, "open the runtime's network namespace");
                if (setns(netns_fd, CLONE_NEWNET) < 0)
                        return rq_error_set(reterr, errno,
                                            "enter the container's network namespace");
        }
        struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        int err = !s ? errno : mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0 ? errno : 0;
        if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
                err = errno;
                if (s)
                        mnl_socket_close(s);
                return rq_error_set(reterr, err, "return to the runtime's network namespace");
        }
        if (err) {
                if (s)
                        mnl_socket_close(s);
                return rq_error_set(reterr, err, "open a route netlink socket");
        }
        *ret = (nl){ .sock = s, .seq = (unsigned)time(NULL) };
        return 0;
}

/* Send h and feed the replies to cb until the ack or the end of the dump: 0 or -errno. */
static int nl_talk(nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
        _Alignas(struct nlmsghdr) char buf[RECV_SIZE];
        h->nlmsg_flags |= NLM_F_REQUEST;
        h->nlmsg_seq = ++n->seq;
        unsigned portid = mnl_socket_get_portid(n->sock);
        if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t r = mnl_socket_recvfrom(n->sock, buf, sizeof(buf));
                if (r < 0)
                        return -errno;
                int k = mnl_cb_run(buf, (size_t)r, h->nlmsg_seq, portid, cb, data);
                if (k < 0)
                        return errno > 0 ? -errno : -EIO;
                if (k == MNL_CB_STOP)
                        return 0;
        }
}

/* A request header in buf and its zeroed family header of the given size. */
static void *nl_msg(char *buf, uint16_t type, uint16_t flags, size_t size)
{
        struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
        h->nlmsg_type = type;
        h->nlmsg_flags = flags;
        return mnl_nlmsg_put_extra_header(h, size);
}

static struct ifinfomsg *link_msg(char *buf, uint16_t type, uint16_t flags, int index)
{
        struct ifinfomsg *ifi = nl_msg(buf, type, flags, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = index;
        return ifi;
}

/* ---- links ------------------------------------------------------------------------------- */

typedef struct index_list {
        int *v;
        size_t n;
} index_list;

static void index_list_done(index_list *l)
{
        free(l->v);
        l->v = NULL;
}

static int link_cb(const struct nlmsghdr *h, void *data)
{
        index_list *l = data;
        if (h->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        int *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v) {
                errno = ENOMEM;
                return MNL_CB_ERROR;
        }
        l->v = v;
        l->v[l->n++] = ((const struct ifinfomsg *)mnl_nlmsg_get_payload(h))->ifi_index;
        return MNL_CB_OK;
}

/* The index of the interface called name: -ENODEV when there is none. */
static int link_index(nl *n, const char *name, int *ret)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        link_msg(buf, RTM_GETLINK, NLM_F_ACK, 0);
        mnl_attr_put_strz(h, IFLA_IFNAME, name);
        _cleanup_(index_list_done) index_list l = { 0 };
        int k = nl_talk(n, h, link_cb, &l);
        if (k < 0)
                return k;
        if (l.n != 1)
                return -ENODEV;
        *ret = l.v[0];
        return 0;
}

static int links_dump(nl *n, index_list *ret)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
        return nl_talk(n, (struct nlmsghdr *)buf, link_cb, ret);
}

static int link_set_up(nl *n, int index, bool up)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        struct ifinfomsg *ifi = link_msg(buf, RTM_NEWLINK, NLM_F_ACK, index);
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = up ? IFF_UP : 0;
        return nl_talk(n, (struct nlmsghdr *)buf, NULL, NULL);
}

static int link_move(nl *n, int index, const char *name, int netns_fd)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        link_msg(buf, RTM_NEWLINK, NLM_F_ACK, index);
        mnl_attr_put_strz(h, IFLA_IFNAME, name);
        mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns_fd);
        return nl_talk(n, h, NULL, NULL);
}

/* The index in the container of the device just moved there under name: looked up, or for a
 * name template ("eth%d", the kernel picks the number) the one index that was not there. */
static int moved_index(nl *ctr, const char *name, const index_list *before, int *ret)
{
        if (!strchr(name, '%'))
                return link_index(ctr, name, ret);
        _cleanup_(index_list_done) index_list after = { 0 };
        int k = links_dump(ctr, &after);
        if (k < 0)
                return k;
        size_t found = 0;
        for (size_t i = 0; i < after.n; i++) {
                bool old = false;
                for (size_t j = 0; j < before->n && !old; j++)
                        old = before->v[j] == after.v[i];
                if (!old && found++ == 0)
                        *ret = after.v[i];
        }
        return found == 1 ? 0 : -ENODEV;
}

/* ---- addresses --------------------------------------------------------------------------- */

typedef struct addr {
        struct ifaddrmsg ifa;
        uint8_t val[3][16]; /* IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST as the kernel gave them */
        uint16_t len[3]; /* 0: absent */
} addr;

static const uint16_t addr_attrs[3] = { IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST };

typedef struct addr_list {
        int index;
        addr *v;
        size_t n;
} addr_list;

static void addr_list_done(addr_list *l)
{
        free(l->v);
        l->v = NULL;
}

static int addr_attr_cb(const struct nlattr *a, void *data)
{
        const struct nlattr **tb = data;
        uint16_t t = mnl_attr_get_type(a);
        if (t <= IFA_MAX)
                tb[t] = a;
        return MNL_CB_OK;
}

/* Keeps the permanent addresses of global scope (config-linux.md, after RFC 3549): others are
 * the host's own (link-local, host scope) or have lifetimes that mean nothing elsewhere. */
static int addr_cb(const struct nlmsghdr *h, void *data)
{
        addr_list *l = data;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
        if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != l->index ||
            ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return MNL_CB_OK;
        const struct nlattr *tb[IFA_MAX + 1] = { 0 };
        if (mnl_attr_parse(h, sizeof(*ifa), addr_attr_cb, tb) < 0)
                return MNL_CB_ERROR;
        uint32_t flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
        if (!(flags & IFA_F_PERMANENT))
                return MNL_CB_OK;
        addr *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v) {
                errno = ENOMEM;
                return MNL_CB_ERROR;
        }
        l->v = v;
        addr *a = &l->v[l->n++];
        *a = (addr){ .ifa = *ifa };
        for (size_t i = 0; i < ELEMENTSOF(addr_attrs); i++) {
                const struct nlattr *at = tb[addr_attrs[i]];
                uint16_t n = at ? mnl_attr_get_payload_len(at) : 0;
                if (n > 0 && n <= sizeof(a->val[i])) {
                        memcpy(a->val[i], mnl_attr_get_payload(at), n);
                        a->len[i] = n;
                }
        }
        return MNL_CB_OK;
}

static int addrs_dump(nl *n, addr_list *l)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        struct ifaddrmsg *ifa = nl_msg(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
        ifa->ifa_family = AF_UNSPEC;
        return nl_talk(n, (struct nlmsghdr *)buf, addr_cb, l);
}

static int addr_add(nl *n, int index, const addr *a)
{
        _Alignas(struct nlmsghdr) char buf[REQ_SIZE];
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        struct ifaddrmsg *ifa =
                nl_msg(buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
        *ifa = (struct ifaddrmsg){ .ifa_family = a->ifa.ifa_family,
                                   .ifa_prefixlen = a->ifa.ifa_prefixlen,
                                   .ifa_scope = a->ifa.ifa_scope,
                                   .ifa_index = (unsigned)index };
        for (size_t i = 0; i < ELEMENTSOF(addr_attrs); i++)
                if (a->len[i] > 0)
                        mnl_attr_put(h, addr_attrs[i], a->len[i], a->val[i]);
        return nl_talk(n, h, NULL, NULL);
}

static const char *addr_to_string(const addr *a, char *buf, size_t size)
{
        const uint8_t *v = a->len[0] ? a->val[0] : a->val[1];
        return inet_ntop(a->ifa.ifa_family, v, buf, (socklen_t)size) ? buf : "?";
}

/* ---- one device -------------------------------------------------------------------------- */

static int move_one(nl *host, nl *ctr, const rq_spec_net_device *d, int netns_fd, rq_error **reterr)
{
        const char *name = d->name ? d->name : d->host_name;
        bool template = strchr(name, '%');
        int index = 0, there = 0, k;
        if ((k = link_index(host, d->host_name, &index)) == -ENODEV)
                return rq_error_set_plain(reterr, ENODEV,
                                          "no network interface %s in the runtime's network "
                                          "namespace",
                                          d->host_name);
        if (k < 0)
                return rq_error_set(reterr, k, "look up the interface %s", d->host_name);
        /* The spec: a taken name is an error, unless it is a template for the kernel. */
        if (!template && (k = link_index(ctr, name, &there)) >= 0)
                return rq_error_set_plain(reterr, EEXIST,
                                          "the container's network namespace already has an "
                                          "interface named %s",
                                          name);
        if (!template && k != -ENODEV)
                return rq_error_set(reterr, k, "look up %s in the container's network namespace",
                                    name);
        _cleanup_(index_list_done) index_list before = { 0 };
        if (template && (k = links_dump(ctr, &before)) < 0)
                return rq_error_set(reterr, k, "list the container's network interfaces");
        /* Before the link goes down: that flushes its IPv6 addresses (keep_addr_on_down). */
        _cleanup_(addr_list_done) addr_list addrs = { .index = index };
        if ((k = addrs_dump(host, &addrs)) < 0)
                return rq_error_set(reterr, k, "list the addresses of %s", d->host_name);
        if ((k = link_set_up(host, index, false)) < 0) {
                rq_error_set(reterr, k, "set %s down", d->host_name);
                if (k == -EPERM)
                        rq_error_hint(reterr, "moving a host interface needs CAP_NET_ADMIN in the "
                                              "host's network namespace (runc refuses "
                                              "netDevices for rootless containers)");
                return k;
        }
        if ((k = link_move(host, index, name, netns_fd)) < 0)
                return rq_error_set(reterr, k, "move %s into the container's network namespace%s%s",
                                    d->host_name, d->name ? " as " : "", d->name ? d->name : "");
        if ((k = moved_index(ctr, name, &before, &index)) < 0)
                return rq_error_set(reterr, k, "find %s in the container's network namespace",
                                    name);
        for (size_t i = 0; i < addrs.n; i++)
                if ((k = addr_add(ctr, index, &addrs.v[i])) < 0) {
                        char s[INET6_ADDRSTRLEN];
                        return rq_error_set(reterr, k, "add the address %s/%u back to %s",
                                            addr_to_string(&addrs.v[i], s, sizeof(s)),
                                            addrs.v[i].ifa.ifa_prefixlen, name);
                }
        if ((k = link_set_up(ctr, index, true)) < 0)
                return rq_error_set(reterr, k, "set %s up in the container", name);
        return 0;
}

/* Same namespace as the calling thread's? Moving would only rename the host's interface. */
static int is_own_netns(int fd)
{
        struct stat a, b;
        if (fstat(fd, &a) < 0 || stat("/proc/thread-self/ns/net", &b) < 0)
                return -errno;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int rq_netdev_move_all(const rq_spec_linux *l, int netns_fd, rq_error **reterr)
{
        if (!l || l->n_net_devices == 0)
                return 0;
        int k = is_own_netns(netns_fd);
        if (k < 0)
                return rq_error_set(reterr, k, "linux.netDevices: compare network namespaces");
        if (k > 0)
                return rq_error_set_plain(reterr, EINVAL,
                                          "linux.netDevices: the container's network namespace "
                                          "is the runtime's own: there is nowhere to move the "
                                          "devices to");
        _cleanup_(nl_done) nl host = { 0 }, ctr = { 0 };
        if ((k = nl_open(-EBADF, &host, reterr)) < 0 || (k = nl_open(netns_fd, &ctr, reterr)) < 0)
                return rq_error_wrap(reterr, "linux.netDevices");
        for (size_t i = 0; i < l->n_net_devices; i++)
                if ((k = move_one(&host, &ctr, &l->net_devices[i], netns_fd, reterr)) < 0)
                        return rq_error_wrap(reterr, "linux.netDevices.%s",
                                             l->net_devices[i].host_name);
        return 0;
}
